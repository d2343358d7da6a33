"""The console's pages, one module per area: the dashboard, registers, elections, recall and
tokens. Each page lists and offers; each form posts to a view that calls the same ``check_*`` as
the API and the command line and shows its refusal in words."""
