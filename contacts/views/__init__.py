"""Views, one module per screen. Thin: bind a form, call a selector or service, render or redirect."""
