"""An unmodified libvirt-python client on libvirt's default event loop: manages one domain through the
xlbridge daemon and prints, as JSON, the lifecycle events it received and the thread they ran on.
Usage: lifecycle.py URI NAME"""
import json
import sys
import threading
import time

import libvirt

uri, name = sys.argv[1], sys.argv[2]
libvirt.virEventRegisterDefaultImpl()
stop = False


def run_loop():
    while not stop:
        libvirt.virEventRunDefaultImpl()


loop_thread = threading.Thread(target=run_loop, name="libvirt-loop", daemon=True)
loop_thread.start()

events = []
EVENT_NAMES = ("Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped", "Shutdown",
               "PMSuspended", "Crashed")


def on_lifecycle(conn, dom, event, detail, opaque):
    if dom.name() == name:
        events.append({"event": event, "detail": detail, "name": EVENT_NAMES[event],
                       "thread": threading.current_thread().name})


conn = libvirt.open(uri)
conn.setKeepAlive(5, 3)
cb = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle, None)
xml = ("<domain type='xen'><name>%s</name><memory unit='KiB'>131072</memory><vcpu>1</vcpu>"
       "<devices/></domain>" % name)
dom = conn.defineXML(xml)
dom.create()
info = dom.info()
dom.suspend()
dom.resume()
dom.destroy()
dom.undefine()
deadline = time.time() + 20
while len(events) < 6 and time.time() < deadline:
    time.sleep(0.01)
time.sleep(0.2)  # a duplicate would arrive now
conn.domainEventDeregisterAny(cb)
result = {"type": conn.getType(), "events": events, "state": info[0], "vcpus": info[3],
          "names": sorted(d.name() for d in conn.listAllDomains(0))}
conn.close()
stop = True
print(json.dumps(result))
