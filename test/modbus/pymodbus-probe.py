"""Independent Modbus TCP master (Debian python3-pymodbus) for the gateway tests: probes FC08 sub-function 0,
FC43/14 read device identification and FC23 read/write multiple, and prints what it got as one JSON object."""
import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.mei_message import ReadDeviceInformationRequest

port, unit = int(sys.argv[1]), int(sys.argv[2])
rw_read, rw_count, rw_write = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rw_values = [int(v) for v in sys.argv[6].split(",")] if len(sys.argv) > 6 else [1]
client = ModbusTcpClient("127.0.0.1", port=port, timeout=3, retries=0)
if not client.connect():
    sys.exit("cannot connect")
out = {}


def describe(reply):
    if reply.isError():
        return {"exception": getattr(reply, "exception_code", -1)} if hasattr(reply, "exception_code") else {"error": str(reply)}
    return None


echo = client.diag_query_data(0x1234, slave=unit)
message = echo.message if isinstance(echo.message, (list, tuple)) else [echo.message]
out["echo"] = describe(echo) or {"message": "".join(f"{m:04x}" for m in message)}

for name, code, object_id in (("basic", 1, 0), ("regular", 2, 0), ("individual", 4, 5), ("unknownObject", 4, 0x55)):
    reply = client.execute(ReadDeviceInformationRequest(read_code=code, object_id=object_id, slave=unit))
    out[name] = describe(reply) or {
        "conformity": reply.conformity,
        "moreFollows": reply.more_follows,
        "objects": {str(k): v.decode("latin1") for k, v in reply.information.items()},
    }

rw = client.readwrite_registers(
    read_address=rw_read, read_count=rw_count, write_address=rw_write, write_registers=rw_values, slave=unit
)
out["readWrite"] = describe(rw) or {"registers": rw.registers}
client.close()
print(json.dumps(out))
