"""Writes of the DMS integration: the nightly pull (`sync`) and the remove-request outbox delivery (`delivery`)."""
