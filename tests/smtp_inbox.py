"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd), and what it received: the `inbox` fixture in
tests/conftest.py starts one and points the settings at it, as EMAIL_URL=smtp://127.0.0.1:PORT does."""

import email
import socket


class Inbox:
    """What the SMTP server received: one parsed message per mail, with the addresses it was sent to."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for m in self.messages if m.envelope_to == [address]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
