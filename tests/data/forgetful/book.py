"""The contact book's commands on a dict, shared by the forgetful servers of this folder (copied beside
each one into a submission)."""


def handle(book, text):
    fields = text.strip().split(";")
    if not all(fields):
        return "ERROR: bad command"
    if fields[0] == "add" and len(fields) == 3:
        book[fields[1]] = fields[2]
        return fields[1] + " added"
    if fields[0] == "remove" and len(fields) == 2:
        if fields[1] not in book:
            return "Not found"
        del book[fields[1]]
        return fields[1] + " removed"
    if fields[0] == "find" and len(fields) == 2:
        return book.get(fields[1], "Not found")
    return "ERROR: bad command"
