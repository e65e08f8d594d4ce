/**
 * The README's install section (issue 6) shows configurations an operator copies: the guide's cluster.conf
 * rewritten with <pmsapp-raid> for 3 and 2 nodes, and the pcs commands for Pacemaker. These tests check
 * what can be checked offline: each cluster.conf validates against the schema ccs_update_schema would
 * generate with the pmsapp-raid agent installed, fencing is real, and every set of agent parameters shown
 * passes the agent's own parameter validation.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateParams } from "../../agents/raid/params.js";
import { parseTargetConfig } from "../../agents/target/config.js";
import { readmePart } from "../../packaging/man/pages.mjs";
import { FENCE_STUB, buildClusterRng, orderLikeCcsUpdateSchema, stockAgents } from "../support/rgmanager/cluster-schema.js";
import { INSTALLED_NAME, pmsappMetadata } from "../support/rgmanager/pmsapp-agent.js";
import { REPO_ROOT } from "../support/rgmanager/paths.js";
import { validWithRelaxng } from "../support/rgmanager/xmllint.js";

const install = readmePart(readFileSync(join(REPO_ROOT, "README.md"), "utf8"), "install") ?? "";
const blocks = (lang: string) => [...install.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] as string);
const clusterConfs = blocks("xml");

/**
 * The real schema's fence section is generated from the installed fence agents' meta-data, which is not
 * in shared/reference: here every fence device option is allowed, so only the rest of the file is checked.
 */
const ANY_FENCE_OPTIONS =
  '<define name="FENCEDEVICEOPTIONS">\n    <zeroOrMore><attribute><anyName><except><name>name</name><name>agent</name></except></anyName><text/></attribute></zeroOrMore>\n  </define>\n';

function schemaWithPmsappRaid(): string {
  const meta = pmsappMetadata();
  expect(meta.exitCode).toBe(0);
  const agents = orderLikeCcsUpdateSchema([...stockAgents(), { source: INSTALLED_NAME, metadata: meta.stdout }]);
  const rng = buildClusterRng(agents);
  expect(rng).toContain(FENCE_STUB);
  return rng.replace(FENCE_STUB, ANY_FENCE_OPTIONS);
}

/** The attributes of the first <pmsapp-raid> element (values in cluster.conf need no entity decoding here). */
function raidAttributes(conf: string): Record<string, string> {
  const element = /<pmsapp-raid\s([^>]*)>/.exec(conf)?.[1] ?? "";
  return Object.fromEntries([...element.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]));
}

describe("README install section", () => {
  it("shows a 3-node and a 2-node cluster.conf", () => {
    expect(clusterConfs.length).toBe(2);
    expect(clusterConfs.map((c) => (c.match(/<clusternode /g) ?? []).length)).toEqual([3, 2]);
    expect(clusterConfs[1]).toContain('<cman expected_votes="1" two_node="1"/>');
  });

  it("each cluster.conf validates against the schema generated with pmsapp-raid installed", () => {
    const schema = schemaWithPmsappRaid();
    for (const conf of clusterConfs) {
      const v = validWithRelaxng(schema, conf);
      expect(v.ok, v.messages).toBe(true);
    }
  });

  it("the schema check can fail: an undeclared <pmsapp-raid> attribute is rejected", () => {
    const broken = (clusterConfs[0] ?? "").replace("<pmsapp-raid ", '<pmsapp-raid device="/dev/md0" ');
    expect(validWithRelaxng(schemaWithPmsappRaid(), broken).ok).toBe(false);
  });

  it("replaces the guide's swraid script and keeps fs, nfsexport and nfsclient nested under the array", () => {
    for (const conf of clusterConfs) {
      expect(conf).not.toContain("<script");
      expect(conf).toMatch(/<pmsapp-raid [^>]*>\s*<fs [^>]*device="\/dev\/md0"[^>]*>\s*<nfsexport [^>]*>\s*<nfsclient [^>]*\/>\s*<\/nfsexport>\s*<\/fs>\s*<\/pmsapp-raid>/);
    }
  });

  it("fences with a real agent on every node, never the guide's no-op fence_disable", () => {
    for (const conf of clusterConfs) {
      expect(conf).not.toContain("fence_disable");
      const nodes = (conf.match(/<clusternode /g) ?? []).length;
      expect((conf.match(/<device name="xvm" port="pmsapp\d"\/>/g) ?? []).length).toBe(nodes);
      expect(conf).toContain('<fencedevice agent="fence_xvm" name="xvm"/>');
    }
    const pcs = blocks("sh").join("\n");
    expect(pcs).toContain("pcs property set stonith-enabled=true");
    expect(pcs).not.toMatch(/stonith-enabled=false/);
  });

  it("every <pmsapp-raid> in the cluster.confs passes the agent's parameter validation", () => {
    for (const conf of clusterConfs) {
      const attrs = raidAttributes(conf);
      expect(Object.keys(attrs)).toEqual(["name", "md_device", "uuid", "targets", "login_timeout", "login_retries", "replacement_timeout", "degraded"]);
      const r = validateParams(attrs);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });

  it("the target.conf shown is one the target keeper accepts, for the same array", () => {
    const confs = blocks("conf");
    expect(confs.length).toBe(1);
    const r = parseTargetConfig(confs[0] ?? "", "README target.conf");
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(confs[0]).toContain("managed_uuid = fe26dedf:8930648b:a5a71d3f:48409ac0\n");
  });

  it("the array is created with the UUID chosen first, the one the 3-node configurations use", () => {
    const sh = blocks("sh").join("\n");
    expect(sh).toMatch(/mdadm --create \/dev\/md0 --uuid=fe26dedf:8930648b:a5a71d3f:48409ac0 --bitmap=internal --level=5 --raid-devices=3/);
    for (const conf of clusterConfs) expect(raidAttributes(conf).uuid).toBe("fe26dedf:8930648b:a5a71d3f:48409ac0");
    expect(sh).toMatch(/pcs resource create sharedraid ocf:pmsapp:raid \\\n\s+uuid=fe26dedf:8930648b:a5a71d3f:48409ac0 /);
  });

  it("the pcs resource and the validate-all example use parameters the agent accepts", () => {
    const sh = blocks("sh").join("\n").replace(/\\\n\s*/g, " ");
    const create = /pcs resource create sharedraid ocf:pmsapp:raid (.*?) op /.exec(sh)?.[1] ?? "";
    const pcsParams = Object.fromEntries([...create.matchAll(/([a-z_]+)=("([^"]*)"|\S+)/g)].map((m) => [m[1] as string, (m[3] ?? m[2]) as string]));
    expect(Object.keys(pcsParams).sort()).toEqual(["degraded", "md_device", "targets", "uuid"]);
    expect(validateParams(pcsParams).ok, JSON.stringify(validateParams(pcsParams))).toBe(true);

    const check = /OCF_RESKEY_uuid=(\S+)\s+OCF_RESKEY_targets="([^"]*)"/.exec(sh);
    expect(check).not.toBeNull();
    expect(validateParams({ uuid: check?.[1], targets: check?.[2] }).ok).toBe(true);
    // The group is the documented order: raid, Filesystem, nfsserver (nfsd only where the group runs, its
    // state on the shared fs), exportfs with a fixed fsid, IPaddr2, nfsnotify (from the floating address).
    const order = [...sh.matchAll(/pcs resource create (\S+) (\S+)[^\n]*--group storage/g)].map((m) => m[2]);
    expect(order).toEqual(["ocf:pmsapp:raid", "ocf:heartbeat:Filesystem", "ocf:heartbeat:nfsserver", "ocf:heartbeat:exportfs", "ocf:heartbeat:IPaddr2", "ocf:heartbeat:nfsnotify"]);
    expect(sh).toMatch(/ocf:heartbeat:exportfs [^\n]*fsid=1/);
  });
});
