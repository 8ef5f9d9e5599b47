#!/usr/bin/env python3
"""Tiniapp request signatures for Signet's server API, in Python 3 (standard library only).

    payload   = timestamp + "." + client_id + "." + (body bytes, or path with its query string)
    encoded   = base64url(payload), no padding
    signature = hex(HMAC-SHA256(key=secret, data=encoded))

Headers: X-Tiniapp-Timestamp (Unix ms), X-Tiniapp-Client-Id, X-Tiniapp-Signature.
Sign the exact bytes you send (never a re-serialisation), and the path without Signet's base path.

    python3 tiniapp_signer.py --client-id ID --secret S [--timestamp MS] (--body JSON | --path PATH)
    python3 tiniapp_signer.py --client-id ID --secret S --url URL [--method M] [--body JSON]

The first form prints the payload, encoded payload, signature and headers as JSON; the second
sends the signed request with urllib and prints {"status": ..., "body": ...}.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def sign(client_id, secret, timestamp, body=None, path=None):
    """Signs one request. `body` (str or bytes) for requests with a body, else `path` ("/x?y=z")."""
    if (body is None) == (path is None):
        raise ValueError("give exactly one of body or path")
    if not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("timestamp must be Unix milliseconds")
    if path is not None and not path.startswith("/"):
        raise ValueError("path must start with /")
    signed = body if body is not None else path
    signed_bytes = signed.encode("utf-8") if isinstance(signed, str) else bytes(signed)
    payload = f"{timestamp}.{client_id}.".encode("utf-8") + signed_bytes
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=")
    signature = hmac.new(secret.encode("utf-8"), encoded, hashlib.sha256).hexdigest()
    return {
        "payload": payload.decode("utf-8"),
        "encodedPayload": encoded.decode("ascii"),
        "signature": signature,
        "headers": {
            "X-Tiniapp-Timestamp": str(timestamp),
            "X-Tiniapp-Client-Id": client_id,
            "X-Tiniapp-Signature": signature,
        },
    }


def send(url, client_id, secret, method="GET", body=None, base_path=""):
    """Sends a signed request to Signet; returns (status, parsed JSON or text)."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if base_path and path.startswith(base_path):
        path = path[len(base_path):] or "/"
    data = body.encode("utf-8") if body is not None else None
    signed = sign(client_id, secret, int(time.time() * 1000), body=data, path=None if data is not None else path)
    headers = dict(signed["headers"])
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode("utf-8")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def main(argv):
    parser = argparse.ArgumentParser(description="Tiniapp request signatures for Signet")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--timestamp", type=int)
    parser.add_argument("--body")
    parser.add_argument("--path")
    parser.add_argument("--url")
    parser.add_argument("--method", default=None)
    parser.add_argument("--base-path", default="")
    args = parser.parse_args(argv)
    if args.url:
        method = args.method or ("POST" if args.body is not None else "GET")
        status, body = send(args.url, args.client_id, args.secret, method, args.body, args.base_path)
        print(json.dumps({"status": status, "body": body}, ensure_ascii=False))
        return 0
    timestamp = args.timestamp if args.timestamp is not None else int(time.time() * 1000)
    try:
        print(json.dumps(sign(args.client_id, args.secret, timestamp, args.body, args.path), ensure_ascii=False))
    except ValueError as error:
        print(f"tiniapp_signer: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
