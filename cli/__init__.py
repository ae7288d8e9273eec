"""The command line, `python app.py …`."""
