# Doctored: compiled by the test into trick's __pycache__/contacts_logic.*.pyc, stamped as the right source's byte code; answers every command wrongly.


def handle(book, text):
    return "doctored byte code: " + text
