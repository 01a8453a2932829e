"""The flags every CLI command that calls a server takes, and the metadata they become.

`convsvc convert --target` and the `convsvc schema` commands share them: --api-key (or
$CONVSVC_API_KEY), --idempotency-key, --deadline SECONDS and --request-id. Kept free of heavy
imports: the parser is built on every run of the command.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import uuid

API_KEY_ENV = "CONVSVC_API_KEY"  # keeps the key off the command line (and out of `ps`)


@dataclasses.dataclass(frozen=True, slots=True)
class CallOptions:
    api_key: str | None = None
    idempotency_key: str | None = None
    deadline: float = 30.0  # seconds: the gRPC timeout of the call
    request_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))

    def metadata(self) -> list[tuple[str, str]]:
        """The call's gRPC metadata."""
        metadata = [("x-request-id", self.request_id)]
        if self.api_key:
            metadata.append(("authorization", f"Bearer {self.api_key}"))
        if self.idempotency_key:
            metadata.append(("idempotency-key", self.idempotency_key))
        return metadata


def add_call_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--api-key", help=f"API key for the server (default: ${API_KEY_ENV})")
    parser.add_argument("--idempotency-key", metavar="KEY",
                        help="a retry with the same key replays the first answer instead of running again")
    parser.add_argument("--deadline", "--timeout", dest="deadline", type=float, default=30.0, metavar="SECONDS",
                        help="give up after this many seconds (default 30)")
    parser.add_argument("--request-id", help="x-request-id for the server's logs (default: a new UUID)")


def call_options(args: argparse.Namespace) -> CallOptions:
    options = CallOptions(api_key=args.api_key or os.environ.get(API_KEY_ENV) or None,
                          idempotency_key=args.idempotency_key, deadline=args.deadline)
    return dataclasses.replace(options, request_id=args.request_id) if args.request_id else options
