"""Views, one module per screen. Thin: fetch through a tenant-checked selector, call a service, render."""
