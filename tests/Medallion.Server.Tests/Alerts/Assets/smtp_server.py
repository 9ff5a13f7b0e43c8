"""A real SMTP server for the e-mail alert tests: aiosmtpd with STARTTLS required and AUTH (LOGIN, PLAIN) required.

Usage: smtp_server.py <port> <cert.pem> <key.pem> <user> <password> <folder>
Each message lands in <folder> as NNNN.eml, preceded by headers saying who logged in, whether TLS was on, and
the envelope. Prints READY once listening; stops when standard input closes.
"""
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, folder = sys.argv[1:7]


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        # aiosmtpd keeps the login as bytes, or as the LoginPassword the authenticator returned.
        data = session.login_data if session.authenticated else None
        login = data.login.decode() if hasattr(data, "login") else data.decode() if isinstance(data, bytes) else ""
        head = (
            f"X-Test-Login: {login}\r\n"
            f"X-Test-Tls: {'yes' if session.ssl else 'no'}\r\n"
            f"X-Test-Mail-From: {envelope.mail_from}\r\n"
            f"X-Test-Rcpt-To: {','.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        path = os.path.join(folder, f"{self.count:04d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    # auth_data is what aiosmtpd keeps as session.login_data (the login the handler reports).
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=context,
    require_starttls=True,
    auth_required=True,
    auth_require_tls=True,
    authenticator=authenticator,
)
controller.start()
print("READY", flush=True)
sys.stdin.read()
controller.stop()
