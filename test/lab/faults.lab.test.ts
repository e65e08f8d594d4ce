/**
 * The lab's own fault verbs and init modes, checked against what the guests see: a cut link drops
 * traffic on that network only, heal restores it, a slowed link adds the asked delay and limits the rate,
 * and the systemd mode really boots systemd with the same per-node setup as the fast mode.
 */
import { describe, expect, it } from "vitest";
import { labUnavailable, useLab } from "./lib/scenario.js";

const reachable = async (from: { sh: (s: string, o?: { timeoutMs?: number }) => Promise<{ rc: number | null }> }, ip: string) =>
  (await from.sh(`ping -c 2 -i 0.3 -W 1 ${ip} >/dev/null 2>&1`, { timeoutMs: 15_000 })).rc === 0;

describe.skipIf(labUnavailable() !== undefined).sequential("fault verbs on two nodes (fast init)", () => {
  const lab = useLab({ nodes: 2, stage: false });

  it("cutLink drops one network of one node, healLink brings it back", async () => {
    const [node1, node2] = [lab().node("node1"), lab().node("node2")];
    expect(await reachable(node1, node2.ip("hb"))).toBe(true);
    await lab().cutLink("node2", "hb");
    expect(await reachable(node1, node2.ip("hb"))).toBe(false);
    expect(await reachable(node1, node2.ip("iscsi"))).toBe(true); // the other networks still work
    await lab().healLink("node2", "hb");
    const back = await lab().waitFor("heartbeat network back", async () => reachable(node1, node2.ip("hb")), { timeoutMs: 20_000 });
    expect(back.value).toBe(true);
  });

  it("partition isolates a node on every network, heal undoes it", async () => {
    const [node1, node2] = [lab().node("node1"), lab().node("node2")];
    await lab().partition(["node2"]);
    for (const net of ["nfs", "iscsi", "hb"] as const) expect(await reachable(node1, node2.ip(net))).toBe(false);
    // the control channel does not use the network: the isolated node still answers
    expect((await node2.must("hostname")).trim()).toBe("node2");
    await lab().heal();
    await lab().waitFor("all networks back", async () => (await reachable(node1, node2.ip("nfs"))) && (await reachable(node1, node2.ip("hb"))), { timeoutMs: 20_000 });
  });

  it("slowLink adds delay to what the node sends and limits what it receives", async () => {
    const [node1, node2] = [lab().node("node1"), lab().node("node2")];
    const rtt = async () => {
      const out = await node1.must(`ping -c 5 -i 0.3 -W 3 ${node2.ip("iscsi")} | tail -n 1`, { timeoutMs: 30_000 });
      const m = /= [\d.]+\/([\d.]+)\//.exec(out);
      if (m === null) throw new Error(`no rtt in ${out}`);
      return Number(m[1]);
    };
    const before = await rtt();
    await lab().slowLink("node2", "iscsi", { delayMs: 300, rateKbit: 1000 });
    const slowed = await rtt();
    expect(slowed).toBeGreaterThanOrEqual(before + 250);
    const tc = await lab().node("node2").must("tc qdisc show dev eth1");
    expect(tc).toContain("netem");
    await lab().unslowLink("node2", "iscsi");
    const after = await rtt();
    expect(after).toBeLessThan(slowed - 200);
  });
});

describe.skipIf(labUnavailable() !== undefined).sequential("systemd init mode (one node)", () => {
  const lab = useLab({ nodes: 1, init: "systemd", stage: false });

  it("boots systemd as PID 1 with the same per-node setup and stock mdadm.conf", async () => {
    const node1 = lab().node("node1");
    expect((await node1.must("cat /proc/1/comm")).trim()).toBe("systemd");
    expect((await node1.must("systemctl is-active lab-setup.service")).trim()).toBe("active");
    expect((await node1.must("hostname")).trim()).toBe("node1");
    expect(await node1.must("ip -br addr show eth2")).toContain("10.99.2.11/24");
    expect(await node1.must("cat /etc/iscsi/initiatorname.iscsi")).toContain("iqn.2026-11.lab.pmsapp:init.node1");
    const mdconf = await node1.must("cat /etc/mdadm/mdadm.conf");
    expect(mdconf).not.toContain("AUTO -all");
    // corosync and pacemaker stay off until a scenario starts them
    const states = (await node1.sh("systemctl is-active corosync pacemaker")).stdout.trim().split("\n");
    expect(states).toEqual(["inactive", "inactive"]);
  });
});
