"""The run framework: the services a program's loop calls and the run around it."""
