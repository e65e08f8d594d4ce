import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "./config.js";
import { gidFromGroupFile, resolveGroup } from "./group.js";

describe("socket_group", () => {
  it("resolves a name from this machine's /etc/group, and a number as it is", () => {
    const text = readFileSync("/etc/group", "utf8");
    const root = text.split("\n").find((l) => l.startsWith("root:"));
    expect(root).toBeDefined();
    expect(resolveGroup("root")).toEqual({ ok: true, gid: Number(root?.split(":")[2]) });
    expect(resolveGroup("4242")).toEqual({ ok: true, gid: 4242 });
  });

  it("an unknown group or a hostile value is refused with what to do", () => {
    const r = gidFromGroupFile("pmsapp-ops", "root:x:0:\nadm:x:4:syslog\n");
    expect(r).toEqual({ ok: false, reason: "socket_group 'pmsapp-ops' is not in /etc/group (create it with groupadd, or give a numeric gid)" });
    expect(gidFromGroupFile("adm", "root:x:0:\nadm:x:4:syslog\n")).toEqual({ ok: true, gid: 4 });
    expect(gidFromGroupFile("x;rm", "").ok).toBe(false);
    const c = parseConfigText("node_name = n1\nsocket_group = $(id)\n");
    expect(c.ok).toBe(false);
    expect(!c.ok && c.errors.join()).toContain("socket_group: a group name or a numeric gid");
    const ok = parseConfigText("node_name = n1\nsocket_group = pmsapp\n");
    expect(ok.ok && ok.config.socketGroup).toBe("pmsapp");
    const none = parseConfigText("node_name = n1\n");
    expect(none.ok && none.config.socketGroup).toBeUndefined();
  });
});
