#!/usr/bin/python3
# A STAND-IN for cloudflared, for fleetgen's end-to-end tests only. It is NOT cloudflared and talks to nobody:
# the real cloudflared cannot run here (no Cloudflare to reach). It behaves like cloudflared where the generated
# artifacts depend on it (FACTS.md), so that a host converged with the stand-in proves the artifacts' wiring:
#
#   cloudflared --version | version
#   cloudflared tunnel --config FILE ingress validate        exit 0 + "OK", or a message + exit 1
#   cloudflared [--no-autoupdate] --config FILE tunnel run   long-running: checks what the real one would need
#       (credentials readable by the service user, TUNNEL_TOKEN in token mode, the origin certificate when the
#       tunnel is given by name), serves GET /ready -> 200 on the config's `metrics` address, and sends READY=1
#       to $NOTIFY_SOCKET itself, as the unit's main process (Type=notify, NotifyAccess=main).
#   cloudflared tunnel --origincert CERT create --credentials-file FILE NAME      writes fake credentials JSON
#   cloudflared tunnel --origincert CERT token --credentials-file FILE NAME       writes an existing tunnel's credentials
#   cloudflared tunnel --origincert CERT route dns NAME HOSTNAME                  records the route ("unchanged" when it
#                                                                                  routes to that tunnel already)
#   cloudflared access ssh --hostname HOSTNAME [--service-token-id ID --service-token-secret SECRET]
#       (also -T/--tunnel-host, --id/--secret, and TUNNEL_SERVICE_HOSTNAME / TUNNEL_SERVICE_TOKEN_ID /
#       TUNNEL_SERVICE_TOKEN_SECRET, as cmd/cloudflared/access/cmd.go): carries stdin/stdout to the origin of the
#       tunnel HOSTNAME routes to, following that tunnel's ingress, the way Cloudflare's edge and `tunnel run` would.
#       Fails as the real one does (carrier/websocket.go; exit 1 with the error on stderr): a hostname with no DNS
#       record ("no such host"), a tunnel with no connection or a rule that reaches no origin ("websocket: bad
#       handshake"). An Access application that does not admit the service token answers with its login redirect:
#       cloudflared then starts the browser login, prints the URL and waits (until killed).
#
# Both `ingress validate` and `tunnel run` type-check the config's top-level settings the way cloudflared's config
# source does (config/configuration.go: `tag` must be a list of strings — a mapping fails with "expected string slice
# found map[string]interface {} for tag" — `retries` an int, `post-quantum` a bool, ...). `tunnel run` then refuses
# what cloudflared's prepareTunnelConfig refuses (release 2025.8.1): a tag that is not key=value, post-quantum with a
# protocol other than quic or auto, a grace-period over 3m, an edge-bind-address that is not an IP address, region
# with credentials or a token that carry an endpoint.
#
# "Cloudflare" itself is a folder: /var/lib/cloudflared-stand-in (STAND-IN ONLY: $CLOUDFLARED_STAND_IN_STATE, for the
# stand-in's own tests), which tests may change to model what happens at Cloudflare:
#   tunnels/NAME.json           tunnels created                 routes          "HOSTNAME NAME TUNNEL_ID" DNS routes
#   connections/TUNNEL_ID.json  written by `tunnel run` while it runs: its pid and ingress (the edge's view)
#   access/HOSTNAME.json        an Access application on HOSTNAME: {"serviceTokens": {"CLIENT_ID": "CLIENT_SECRET"}},
#                               the service tokens its policies admit (no file: no Access application)
#
# The validator applies cloudflared's ingress rules (FACTS.md): at least one rule; the last one matches
# everything and no earlier one does; a hostname has no port and at most one leading "*."; a path compiles;
# services are http_status:NNN, hello_world, bastion, socks-proxy, unix:/path, unix+tls:/path or a URL with a
# known scheme, a host and no path. It is stricter than cloudflared in two documented ways:
#   - an unknown URL scheme is an error (cloudflared accepts any; fleetgen rejects them itself);
#   - STAND-IN ONLY: an origin on port 9 (the "discard" port) is rejected as unreachable. fleetgen accepts it
#     (it cannot know which ports answer on a host); the end-to-end test uses it to produce a config that only
#     the validator on the host rejects, proving that a rejected config never replaces the running one.
import base64
import ipaddress
import json
import os
import re
import signal
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import yaml

VERSION = "2025.8.1"
STATE_DIR = os.environ.get("CLOUDFLARED_STAND_IN_STATE", "/var/lib/cloudflared-stand-in")
UNREACHABLE_PORT = 9
URL_SCHEMES = {"http", "https", "ws", "wss", "ssh", "rdp", "smb", "tcp"}
BUILTIN_SERVICES = {"hello_world", "bastion", "socks-proxy"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Flags that take no value; every other --flag takes one (as "--flag value" or "--flag=value").
BOOLEAN_FLAGS = {"no-autoupdate", "version", "v", "help", "h"}
# access ssh's flags and their aliases (cmd/cloudflared/access/cmd.go)
ACCESS_FLAG_ALIASES = {"tunnel-host": "hostname", "T": "hostname", "id": "service-token-id", "secret": "service-token-secret", "listener": "url", "L": "url"}
ACCESS_FLAGS = {"hostname", "destination", "url", "header", "H", "service-token-id", "service-token-secret", "logfile", "log-directory", "log-level", "loglevel", "connect-to", "debug-stream"}
# The type cloudflared's config source expects for each top-level setting fleetgen may write (config/configuration.go).
SETTING_TYPES = {
    "tag": "string slice", "retries": "int", "post-quantum": "boolean", "grace-period": "duration",
    "loglevel": "string", "transport-loglevel": "string", "protocol": "string", "edge-ip-version": "string",
    "edge-bind-address": "string", "region": "string", "metrics": "string", "credentials-file": "string",
    "origincert": "string", "tunnel": "string",
}
# cmd/cloudflared/tunnel/tag.go
TAG_RE = re.compile(r"^([a-zA-Z0-9!#$%&'*+\-.^_`|~]+)=([ -~]+)$")
MAX_GRACE_PERIOD_SECONDS = 180


class Failure(Exception):
    pass


class ExitMessage(Failure):
    """An error urfave/cli prints as it is (cli.Exit): what `access` commands fail with."""


def log(message):
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    """cloudflared's flags may come before `tunnel` or after it: collect them all, keep the words in order."""
    flags, words = {}, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-") and arg != "-":
            name = arg.lstrip("-")
            if "=" in name:
                name, value = name.split("=", 1)
            elif name in BOOLEAN_FLAGS:
                value = True
            else:
                i += 1
                if i >= len(argv):
                    raise Failure(f"flag needs an argument: {arg}")
                value = argv[i]
            flags[name] = value
        else:
            words.append(arg)
        i += 1
    return flags, words


def load_config(path):
    if path is None:
        raise Failure("no --config given (the stand-in does not search ~/.cloudflared)")
    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except OSError as e:
        raise Failure(f"Cannot read config file {path}: {e.strerror}")
    except yaml.YAMLError as e:
        raise Failure(f"Cannot parse config file {path}: {e}")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise Failure(f"config file {path} is not a mapping")
    check_setting_types(config)
    return config


# How Go's %T names what yaml.v3 decodes into interface{} (bool before int: a Python bool is an int).
GO_TYPE_NAMES = ((bool, "bool"), (int, "int"), (float, "float64"), (str, "string"), (list, "[]interface {}"), (dict, "map[string]interface {}"))


def go_type(value):
    for kind, name in GO_TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return "<nil>" if value is None else type(value).__name__


def check_setting_types(config):
    for name, expected in SETTING_TYPES.items():
        if name not in config:
            continue
        value = config[name]
        ok = {
            "string slice": isinstance(value, list) and all(isinstance(v, str) for v in value),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "duration": isinstance(value, str),
            "string": isinstance(value, str),
        }[expected]
        if not ok:
            raise Failure(f"expected {expected} found {go_type(value)} for {name}")


def go_duration_seconds(text):
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(a + u for a, u in parts) != text:
        raise Failure(f'time: invalid duration "{text}"')
    return sum(float(a) * units[u] for a, u in parts)


def check_run_settings(config, endpoint):
    """What prepareTunnelConfig refuses before it connects, in its order."""
    for tag in config.get("tag", []):
        if not TAG_RE.match(tag):
            raise Failure(f"Tag parse failure: Cannot parse tag value {tag}")
    if config.get("post-quantum") and config.get("protocol", "auto") not in ("auto", "quic"):
        raise Failure("post-quantum is only supported with the quic transport")
    if go_duration_seconds(config.get("grace-period", "30s")) > MAX_GRACE_PERIOD_SECONDS:
        raise Failure("grace-period must be equal or less than 3m0s")
    if config.get("edge-ip-version", "4") not in ("4", "6", "auto"):
        raise Failure(f"invalid value for edge-ip-version: {config['edge-ip-version']}")
    bind = config.get("edge-bind-address")
    if bind:
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise Failure(f"invalid value for edge-bind-address: {bind}")
    if config.get("region") and endpoint:
        raise Failure("region provided with a token that has an endpoint")


def check_service(service, index):
    if not isinstance(service, str) or service == "":
        raise Failure(f"rule #{index} has no service")
    if service.startswith("http_status:"):
        code = service[len("http_status:"):]
        if not code.isdigit() or not 100 <= int(code) <= 999:
            raise Failure(f'rule #{index}: "{service}" is not a valid HTTP status')
        return
    if service in BUILTIN_SERVICES:
        return
    for prefix in ("unix:", "unix+tls:"):
        if service.startswith(prefix):
            if not service[len(prefix):].startswith("/"):
                raise Failure(f'rule #{index}: "{service}" does not name an absolute socket path')
            return
    url = urlsplit(service)
    if url.scheme == "" or url.netloc == "":
        raise Failure(f'rule #{index}: "{service}" is not a valid URL: it needs a scheme and a host, e.g. ssh://localhost:22')
    if url.scheme not in URL_SCHEMES:
        raise Failure(f'rule #{index}: unknown scheme "{url.scheme}" in "{service}" (stand-in: stricter than cloudflared)')
    if url.path not in ("", "/") or url.query or url.fragment:
        raise Failure(f'rule #{index}: "{service}" has a path; ingress services must not have one')
    try:
        port = url.port
    except ValueError:
        raise Failure(f'rule #{index}: "{service}" has an invalid port')
    if port == UNREACHABLE_PORT:
        raise Failure(f'rule #{index}: origin "{service}" is unreachable (STAND-IN ONLY rule: port {UNREACHABLE_PORT} is refused)')


def validate_ingress(config, path):
    rules = config.get("ingress")
    if not rules:
        raise Failure(f"The config file {path} doesn't contain any ingress rules")
    if not isinstance(rules, list):
        raise Failure("ingress must be a list of rules")
    for i, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise Failure(f"rule #{i} is not a mapping")
        hostname = rule.get("hostname")
        rule_path = rule.get("path")
        is_catch_all = (hostname in (None, "", "*")) and not rule_path
        if i < len(rules) and is_catch_all:
            raise Failure(f"Rule #{i} is matching everything but it is not the last rule: only the last rule may match every request")
        if i == len(rules) and not is_catch_all:
            raise Failure("The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)")
        if hostname not in (None, "", "*"):
            if ":" in hostname:
                raise Failure(f"Hostname {hostname} of rule #{i} cannot contain a port")
            if "*" in hostname and (not hostname.startswith("*.") or hostname.count("*") > 1):
                raise Failure(f"Hostname {hostname} of rule #{i} is an invalid wildcard: only a leading *. is allowed")
        if rule_path:
            try:
                re.compile(rule_path)
            except re.error as e:
                raise Failure(f'rule #{i}: path "{rule_path}" is not a valid regular expression: {e}')
        check_service(rule.get("service"), i)


def read_private(path, what):
    """What `tunnel run` reads as the service user: fails like cloudflared when it cannot."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise Failure(f"Cannot read {what} {path} as uid {os.getuid()}: {e.strerror}")


def read_credentials(path):
    text = read_private(path, "tunnel credentials file")
    try:
        credentials = json.loads(text)
        secret = base64.b64decode(credentials["TunnelSecret"], validate=True)
        account, credentials_id = credentials["AccountTag"], credentials["TunnelID"]
    except (ValueError, KeyError, TypeError):
        raise Failure(f"tunnel credentials file {path} is not valid credentials JSON (AccountTag, TunnelSecret, TunnelID)")
    if not secret or not account or not UUID_RE.match(str(credentials_id)):
        raise Failure(f"tunnel credentials file {path} has an empty TunnelSecret or AccountTag, or no TunnelID")
    return credentials


def check_credentials(path, tunnel_id):
    """The credentials `tunnel run` reads; returns their Endpoint ("" when none)."""
    credentials = read_credentials(path)
    if credentials["TunnelID"] != tunnel_id:
        raise Failure(f"tunnel credentials file {path} is for tunnel {credentials['TunnelID']}, not {tunnel_id}")
    return credentials.get("Endpoint", "")


def check_origin_cert(path):
    text = read_private(path, "origin certificate")
    blocks = re.findall(r"-----BEGIN ([A-Z ]+)-----\n(.*?)\n-----END \1-----", text, re.S)
    tokens = [body for kind, body in blocks if kind == "ARGO TUNNEL TOKEN"]
    if len(tokens) != 1:
        raise Failure(f"origin certificate {path} must hold exactly one ARGO TUNNEL TOKEN block")
    try:
        token = json.loads(base64.b64decode("".join(tokens[0].split())))
    except ValueError:
        raise Failure(f"origin certificate {path}: the ARGO TUNNEL TOKEN block is not base64 JSON")
    if not token.get("zoneID") or not token.get("apiToken"):
        raise Failure(f"origin certificate {path}: zoneID and apiToken must be set")
    return token


def check_token(token):
    try:
        fields = json.loads(base64.b64decode(token, validate=True))
        account, tunnel_id, secret = fields["a"], fields["t"], fields["s"]
    except (ValueError, KeyError, TypeError):
        raise Failure("TUNNEL_TOKEN is not a valid tunnel token (base64 of {a, t, s})")
    if not account or not secret or not UUID_RE.match(tunnel_id):
        raise Failure("TUNNEL_TOKEN is not a valid tunnel token")
    return tunnel_id, fields.get("e", "")


def tunnel_record(name):
    return os.path.join(STATE_DIR, "tunnels", f"{name}.json")


def resolve_tunnel(config, flags):
    """The tunnel's UUID and the endpoint it carries, checking what the real cloudflared would read to run it."""
    token = flags.get("token") or os.environ.get("TUNNEL_TOKEN")
    if token:
        tunnel_id, endpoint = check_token(token)
        return tunnel_id, "token", endpoint
    tunnel = config.get("tunnel")
    if not tunnel:
        raise Failure('"cloudflared tunnel run" requires the ID or name of the tunnel to run (or a token: TUNNEL_TOKEN)')
    credentials = config.get("credentials-file")
    if not credentials:
        raise Failure("no credentials-file in the config (the stand-in does not search ~/.cloudflared)")
    if UUID_RE.match(str(tunnel)):
        tunnel_id = str(tunnel)
    else:
        # subcommand_context.go findID: a name is looked up in the credentials file first; only when that file has
        # no TunnelID does cloudflared ask the API, which needs the origin certificate.
        try:
            tunnel_id = read_credentials(credentials)["TunnelID"]
        except Failure:
            origincert = config.get("origincert") or flags.get("origincert")
            if not origincert:
                raise Failure(f'tunnel "{tunnel}" is a name and {credentials} holds no TunnelID: resolving it needs the origin certificate (origincert)')
            check_origin_cert(origincert)
            try:
                with open(tunnel_record(tunnel), encoding="utf-8") as f:
                    tunnel_id = json.load(f)["id"]
            except OSError:
                raise Failure(f'there is no tunnel named "{tunnel}" (create it first)')
    return tunnel_id, "named", check_credentials(credentials, tunnel_id)


def parse_address(address):
    host, _, port = str(address).rpartition(":")
    if not port.isdigit():
        raise Failure(f"metrics address {address} has no port")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def notify(message):
    """sd_notify, sent by this very process: with NotifyAccess=main systemd ignores anyone else."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(address)
        s.sendall(message.encode())


class ReadyHandler(BaseHTTPRequestHandler):
    connector_id = str(uuid.uuid4())

    def do_GET(self):
        if self.path == "/ready":
            body = json.dumps({"status": 200, "readyConnections": 4, "connectorId": self.connector_id}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        elif self.path == "/metrics":
            body = b"# fleetgen e2e stand-in for cloudflared: no real metrics\ncloudflared_tunnel_ha_connections 4\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
        else:
            body = b"404 page not found\n"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def write_connection(tunnel_id, config):
    """The edge's view of a connected tunnel: which process serves it, and its ingress (locally managed). Best effort:
    the hardened unit cannot write here (ProtectSystem=strict); `access ssh` then finds the running process itself."""
    path = os.path.join(STATE_DIR, "connections", f"{tunnel_id}.json")
    try:
        write_state(path, json.dumps({"pid": os.getpid(), "ingress": config.get("ingress") or []}) + "\n")
    except OSError:
        return None
    return path


def tunnel_run(flags):
    path = flags.get("config")
    config = load_config(path)
    tunnel_id, mode, endpoint = resolve_tunnel(config, flags)
    check_run_settings(config, endpoint)
    if mode == "named":
        validate_ingress(config, path)
    host, port = parse_address(config.get("metrics", "127.0.0.1:20241"))
    server = ThreadingHTTPServer((host, port), ReadyHandler)
    log(f"Starting metrics server on {host}:{port}/metrics")
    log(f"Starting tunnel tunnelID={tunnel_id} (fleetgen e2e STAND-IN: no connection to Cloudflare is made)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = write_connection(tunnel_id, config)
    log("Registered tunnel connection connIndex=0 (stand-in)")
    notify("READY=1\nSTATUS=stand-in: 4 connections (simulated)")
    stop.wait()
    notify("STOPPING=1")
    try:
        if connection:
            with open(connection, encoding="utf-8") as f:
                if json.load(f).get("pid") == os.getpid():
                    os.remove(connection)
    except (OSError, ValueError):
        pass
    log("Initiating graceful shutdown due to signal terminated ...")
    server.shutdown()


def write_state(path, content, mode=0o644):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    os.chmod(path, mode)


def tunnel_create(flags, name):
    cert = check_origin_cert(flags.get("origincert") or "/etc/cloudflared/cert.pem")
    if os.path.exists(tunnel_record(name)):
        raise Failure(f'failed to create tunnel: Create Tunnel API call failed: tunnel with name already exists ("{name}")')
    credentials_path = flags.get("credentials-file") or os.path.expanduser(f"~/.cloudflared/{name}.json")
    tunnel_id = str(uuid.uuid4())
    credentials = {"AccountTag": cert.get("accountID", ""), "TunnelSecret": base64.b64encode(os.urandom(32)).decode(), "TunnelID": tunnel_id}
    write_credentials(credentials_path, credentials)
    # "Cloudflare" keeps the secret, so that `tunnel token` can hand it out again.
    record = {"id": tunnel_id, "name": name, "account": credentials["AccountTag"], "secret": credentials["TunnelSecret"]}
    write_state(tunnel_record(name), json.dumps(record) + "\n", 0o600)
    print(f"Tunnel credentials written to {credentials_path}. cloudflared chose this file based on where your origin certificate was found. Keep this file secret. To revoke these credentials, delete the tunnel.")
    print(f"Created tunnel {name} with id {tunnel_id}")


def write_credentials(path, credentials):
    """subcommands.go writeTunnelCredentials: refuses an existing file, writes 0400."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    except FileExistsError:
        raise Failure(f"{path} already exists")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(credentials, f)


def read_record(name):
    try:
        with open(tunnel_record(name), encoding="utf-8") as f:
            return json.load(f)
    except OSError:
        raise Failure(f'there is no tunnel named "{name}"')


def tunnel_token(flags, name):
    """`tunnel token --credentials-file FILE NAME`: the credentials of an existing tunnel (tokenCommand)."""
    check_origin_cert(flags.get("origincert") or "/etc/cloudflared/cert.pem")
    record = read_record(name)
    credentials = {"AccountTag": record["account"], "TunnelSecret": record["secret"], "TunnelID": record["id"]}
    path = flags.get("credentials-file") or flags.get("cred-file")
    if not path:
        print(base64.b64encode(json.dumps({"a": record["account"], "t": record["id"], "s": record["secret"]}).encode()).decode())
        return
    write_credentials(path, credentials)


def tunnel_route_dns(flags, name, hostname):
    check_origin_cert(flags.get("origincert") or "/etc/cloudflared/cert.pem")
    tunnel_id = read_record(name)["id"]
    routes_path = os.path.join(STATE_DIR, "routes")
    routes = read_routes()
    # cfapi/hostname.go: the API answers "unchanged" for a CNAME that routes to this tunnel already.
    if routes.get(hostname) == tunnel_id:
        print(f"{hostname} is already configured to route to your tunnel tunnelID={tunnel_id}")
        return
    if hostname in routes:
        raise Failure("Failed to add route: code: 1003, reason: An A, AAAA, or CNAME record with that host already exists.")
    os.makedirs(STATE_DIR, mode=0o755, exist_ok=True)
    with open(routes_path, "a", encoding="utf-8") as f:
        f.write(f"{hostname} {name} {tunnel_id}\n")
    print(f"Added CNAME {hostname} which will route to this tunnel tunnelID={tunnel_id}")


def read_routes():
    routes_path = os.path.join(STATE_DIR, "routes")
    if not os.path.exists(routes_path):
        return {}
    with open(routes_path, encoding="utf-8") as f:
        return {line.split()[0]: line.split()[2] for line in f if line.strip()}


def hostname_matches(pattern, hostname):
    if pattern in (None, "", "*"):
        return True
    if pattern.startswith("*."):
        return hostname.endswith(pattern[1:])
    return pattern == hostname


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_tunnel(tunnel_id):
    """The edge's view when no record was written: a running `tunnel run` of this stand-in serving tunnel_id, and the
    ingress of the config it runs with (read as root, as the edge knows it)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if not any(a.endswith("cloudflared") or a.endswith("cloudflared-stand-in.py") for a in argv[:2]):
            continue
        try:
            flags, words = parse_args(argv[2:] if argv[0].endswith("python3") else argv[1:])
            if words[-2:] != ["tunnel", "run"] and words != ["tunnel", "run"]:
                continue
            config = load_config(flags.get("config"))
            if resolve_tunnel(config, flags)[0] != tunnel_id:
                continue
        except (Failure, OSError):
            continue
        return {"pid": int(entry), "ingress": config.get("ingress") or []}
    return None


def access_ssh(flags):
    """`cloudflared access ssh`: the edge routes HOSTNAME to its tunnel, Access checks the service token, the tunnel's
    ingress picks the origin; then stdin/stdout are carried to it."""
    for name in flags:
        if name not in ACCESS_FLAGS:
            raise ExitMessage(f"flag provided but not defined: -{name}")
    hostname = flags.get("hostname") or os.environ.get("TUNNEL_SERVICE_HOSTNAME")
    if not hostname:
        # cmd.go: parseURL fails and the command's help is shown, which returns no error: exit 0.
        print("NAME:\n   cloudflared access ssh (stand-in: no --hostname given)", file=sys.stderr)
        return 0
    token_id = flags.get("service-token-id") or os.environ.get("TUNNEL_SERVICE_TOKEN_ID", "")
    token_secret = flags.get("service-token-secret") or os.environ.get("TUNNEL_SERVICE_TOKEN_SECRET", "")
    tunnel_id = read_routes().get(hostname)
    if tunnel_id is None:
        raise ExitMessage(f"dial tcp: lookup {hostname}: no such host")
    app = os.path.join(STATE_DIR, "access", f"{hostname}.json")
    if os.path.exists(app):
        with open(app, encoding="utf-8") as f:
            admitted = json.load(f).get("serviceTokens", {})
        if not token_id or admitted.get(token_id) != token_secret:
            # The edge redirects to the Access login; cloudflared starts the browser flow and waits for it.
            print("A browser window should have opened at the following URL:\n", file=sys.stderr)
            print(f"https://stand-in.cloudflareaccess.com/cdn-cgi/access/cli?redirect_url=https%3A%2F%2F{hostname}\n", file=sys.stderr)
            print("If the browser failed to open, please visit the URL above directly in your browser.", file=sys.stderr, flush=True)
            signal.pause()
    try:
        with open(os.path.join(STATE_DIR, "connections", f"{tunnel_id}.json"), encoding="utf-8") as f:
            connection = json.load(f)
    except (OSError, ValueError):
        connection = running_tunnel(tunnel_id)
    if not connection or not process_alive(connection["pid"]):
        raise ExitMessage("websocket: bad handshake")  # the edge answers 530: the tunnel has no connection
    rule = next((r for r in connection["ingress"] if hostname_matches(r.get("hostname"), hostname)), None)
    url = urlsplit(str((rule or {}).get("service", "")))
    if url.scheme not in ("ssh", "tcp") or not url.hostname:
        raise ExitMessage("websocket: bad handshake")  # not a TCP origin: the tunnel answers with an HTTP status
    try:
        origin = socket.create_connection((url.hostname, url.port or 22), timeout=5)
    except OSError:
        raise ExitMessage("websocket: bad handshake")  # the tunnel could not reach the origin: 502
    origin.settimeout(None)

    def upstream():
        try:
            while True:
                data = os.read(0, 65536)
                if not data:
                    break
                origin.sendall(data)
            origin.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    threading.Thread(target=upstream, daemon=True).start()
    # The stream ends when either side closes (stream.Pipe): no error for that.
    try:
        while True:
            data = origin.recv(65536)
            if not data:
                break
            os.write(1, data)
    except OSError:
        pass
    return 0


def main(argv):
    flags, words = parse_args(argv)
    if flags.get("version") or flags.get("v") or words[:1] == ["version"]:
        print(f"cloudflared version {VERSION} (built 2025-08-01-0000 UTC) [fleetgen e2e stand-in, not cloudflared]")
        return 0
    if words[:2] == ["access", "ssh"] or words[:2] == ["access", "tcp"]:
        return access_ssh({ACCESS_FLAG_ALIASES.get(k, k): v for k, v in flags.items()})
    if words[:1] != ["tunnel"]:
        raise Failure(f"stand-in: unsupported command: {' '.join(argv)}")
    rest = words[1:]
    if rest == ["ingress", "validate"]:
        path = flags.get("config")
        config = load_config(path)
        print(f"Validating rules from {path}")
        validate_ingress(config, path)
        print("OK")
        return 0
    if rest == ["run"]:
        tunnel_run(flags)
        return 0
    if len(rest) == 2 and rest[0] == "create":
        tunnel_create(flags, rest[1])
        return 0
    if len(rest) == 2 and rest[0] == "token":
        tunnel_token(flags, rest[1])
        return 0
    if len(rest) == 4 and rest[:2] == ["route", "dns"]:
        tunnel_route_dns(flags, rest[2], rest[3])
        return 0
    raise Failure(f"stand-in: unsupported tunnel command: {' '.join(rest)}")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ExitMessage as e:
        print(e, file=sys.stderr)
        sys.exit(1)
    except Failure as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
