/**
 * The README's Pacemaker blocks are what the lab runs: extraction, the variable contract (a README edit
 * that adds, drops or renames a variable breaks here, not in a 10-minute lab run), quoting, and the crm
 * transaction the lab's values produce (crm replaced on PATH by a recorder of its stdin).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readmeBlock, renderReadmeBlock, shellWord } from "../../lab/lib/pacemaker.js";

const LAB_CRM = {
  NODES: "node1 node2 node3",
  PREFERRED: "node1",
  UUID: "0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9",
  MD: "/dev/md/pmsapp",
  TARGETS: "iqn.2026-11.lab.pmsapp:node1.disk@10.99.1.11 iqn.2026-11.lab.pmsapp:node2.disk@10.99.1.12",
  MOUNTPOINT: "/srv/pmsapp",
  CLIENTS: "10.99.0.0/24",
  VIP: "10.99.0.100",
  OP_TIMEOUT: "120s",
  FENCE_AGENT: "fence_pmsapp_lab",
  FENCE_PARAMS: "ipaddr=10.99.0.1 ipport=7410 pcmk_reboot_action=off",
  FENCE_DELAY_MAX: "0s",
};

describe("README Pacemaker blocks", () => {
  it("each block defines its variables at the top", () => {
    expect(readmeBlock("corosync-3").names).toEqual(["CLUSTER", "NODE1", "NODE2", "NODE3", "HB1", "HB2", "HB3", "CRYPTO_CIPHER", "CRYPTO_HASH"]);
    expect(readmeBlock("corosync-2").names).toEqual(["CLUSTER", "NODE1", "NODE2", "HB1", "HB2", "CRYPTO_CIPHER", "CRYPTO_HASH"]);
    expect(readmeBlock("crm").names).toEqual(Object.keys(LAB_CRM));
    expect(readmeBlock("corosync-2").body).toContain("two_node: 1");
    expect(readmeBlock("corosync-2").body).toContain("wait_for_all: 1");
    expect(readmeBlock("crm").body).toContain("property stonith-enabled=true");
    expect(readmeBlock("crm").body).not.toMatch(/stonith-enabled=false/);
  });

  it("a missing or extra lab value is an error naming it", () => {
    const { VIP: _vip, ...noVip } = LAB_CRM;
    expect(() => renderReadmeBlock("crm", noVip)).toThrow("no lab value for VIP");
    expect(() => renderReadmeBlock("crm", { ...LAB_CRM, NIC: "eth0" })).toThrow("not defined in the README: NIC");
  });

  it("values are single shell words whatever they contain", () => {
    const out = spawnSync("/bin/bash", ["-c", `x=${shellWord("a b'c $(id) \"d\"")}; printf %s "$x"`], { encoding: "utf8" });
    expect(out.stdout).toBe(`a b'c $(id) "d"`);
  });

  it("a README without the markers is refused", () => {
    expect(() => readmeBlock("crm", "# nothing here\n")).toThrow("has no block between <!-- lab:crm --> and <!-- /lab:crm -->");
  });

  it("the crm block with the lab's values gives one transaction: fencing on, a fence device for every node, the group", () => {
    const dir = mkdtempSync(join(tmpdir(), "pmsapp-crm-"));
    writeFileSync(join(dir, "crm"), `#!/bin/sh\n[ "$1" = configure ] || exit 9\ncat > "${dir}/crm.in"\n`);
    writeFileSync(join(dir, "crm_verify"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(dir, "crm"), 0o755);
    chmodSync(join(dir, "crm_verify"), 0o755);
    const script = renderReadmeBlock("crm", LAB_CRM);
    const r = spawnSync("/bin/bash", ["-c", script], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
    expect(r.status, r.stderr).toBe(0);
    const crm = readFileSync(join(dir, "crm.in"), "utf8").split("\n");
    expect(crm).toContain("property stonith-enabled=true no-quorum-policy=stop");
    expect(crm).toContain("op_defaults timeout=120s");
    expect(crm).toContain('primitive fence stonith:fence_pmsapp_lab params pcmk_host_list="node1 node2 node3" pcmk_delay_max=0s ipaddr=10.99.0.1 ipport=7410 pcmk_reboot_action=off op monitor interval=60s');
    expect(crm).toContain(
      `primitive sharedraid ocf:pmsapp:raid params uuid=${LAB_CRM.UUID} md_device=/dev/md/pmsapp targets="${LAB_CRM.TARGETS}" degraded=safe op monitor interval=10s OCF_CHECK_LEVEL=10`,
    );
    // nfsd runs only where the group runs and stops before the unmount (an nfsd left running holds NFSv4 opens).
    expect(crm).toContain("primitive sharednfsd ocf:heartbeat:nfsserver params nfs_shared_infodir=/srv/pmsapp/nfsinfo nfs_no_notify=true op monitor interval=20s");
    expect(crm).toContain("group storage sharedraid sharedvol sharednfsd sharednfs sharedip sharednotify");
    expect(crm).toContain("location storage-prefers-node1 storage 100: node1");
    expect(crm[crm.length - 2]).toBe("commit");
  });

  it("the corosync blocks are valid bash and write the nodes' heartbeat addresses", () => {
    const script = renderReadmeBlock("corosync-2", { CLUSTER: "pmsapp", NODE1: "node1", NODE2: "node2", HB1: "10.99.2.11", HB2: "10.99.2.12", CRYPTO_CIPHER: "none", CRYPTO_HASH: "none" });
    expect(spawnSync("/bin/bash", ["-n", "-c", script]).status).toBe(0);
    expect(script).toContain("HB2='10.99.2.12'");
    expect(script).toContain("ring0_addr: $HB2");
  });
});
