"""pgcli against the endpoint, without a terminal: connect the way pgcli does, load the metadata its
completer loads at start-up, and ask the completer for the tables after "gold.".

Arguments: port database user password. Prints one line per fact.
"""
import sys

from pgcli.main import PGCli
from pgcli.pgcompleter import PGCompleter
from pgcli.completion_refresher import CompletionRefresher
from prompt_toolkit.document import Document

port, database, user, password = sys.argv[1:5]
cli = PGCli(never_passwd_prompt=True)
cli.connect(database=database, host="127.0.0.1", user=user, port=port, passwd=password)
print("connected", cli.pgexecute.dbname)

completer = PGCompleter(smart_completion=True)
refresher = CompletionRefresher()
# Run the refreshers pgcli runs in its background thread, here in the foreground. Those behind table-name
# completion must work; the function list (pg_proc with PostgreSQL's argument-type arrays) is reported.
for name, refresh in refresher.refreshers.items():
    if name == "functions":
        try:
            refresh(completer, cli.pgexecute)
            print("functions loaded")
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            print("functions failed:", str(error).splitlines()[0])
    else:
        refresh(completer, cli.pgexecute)
text = "SELECT * FROM gold."
names = sorted({c.text for c in completer.get_completions(Document(text=text, cursor_position=len(text)), None)})
print("completions", ",".join(names))
