"""The officers' console (issue 13): every officer's work in the browser, role-scoped, complete
without JavaScript, calling the same ``check_*`` actions as the API and the command line."""
