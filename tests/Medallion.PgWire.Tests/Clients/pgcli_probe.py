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
# Run the same refreshers pgcli runs in its background thread, here in the foreground.
for name, refresh in refresher.refreshers.items():
    refresh(completer, cli.pgexecute)
text = "SELECT * FROM gold."
names = sorted({c.text for c in completer.get_completions(Document(text=text, cursor_position=len(text)), None)})
print("completions", ",".join(names))
