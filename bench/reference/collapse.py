"""Reference for `npm run bench` and the aggregation tests: Python's ipaddress.collapse_addresses, per family.

Reads the files given (one address or prefix a line, '#' comments), prints IPv4 ascending then IPv6 ascending.
"""
import ipaddress
import sys

v4, v6 = [], []
for name in sys.argv[1:]:
    with open(name, encoding="latin-1") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            net = ipaddress.ip_network(line, strict=False)
            (v4 if net.version == 4 else v6).append(net)
out = [str(n) for n in ipaddress.collapse_addresses(v4)] + [str(n) for n in ipaddress.collapse_addresses(v6)]
sys.stdout.write("\n".join(out) + ("\n" if out else ""))
