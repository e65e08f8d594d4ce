/**
 * rgmanager conformance, ordering: with pmsapp-raid's own meta-data loaded next to the stock agents,
 * rgmanager starts the array before the filesystem and the NFS export nested under it, and stops it only
 * after them (contract reference §1.9). A custom type has no level under <service>, so it runs after the
 * service's levelled children on start (the IP) and before them on stop, exactly as the guide's script did.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stockAgents } from "../support/rgmanager/cluster-schema.js";
import { REPO_ROOT } from "../support/rgmanager/paths.js";
import { pmsappMetadata, TYPE_NAME } from "../support/rgmanager/pmsapp-agent.js";
import { ruleFromMetadata, type ResourceRule } from "../support/rgmanager/resource-rules.js";
import { serviceOrder } from "../support/rgmanager/tree-order.js";

const read = (name: string): string => readFileSync(join(REPO_ROOT, "test", "contract", "fixtures", "cluster-conf", name), "utf8");

describe(`start and stop order of the service with ${TYPE_NAME}`, () => {
  let rules: ResourceRule[];

  beforeAll(() => {
    rules = [...stockAgents().map((a) => a.metadata), pmsappMetadata().stdout].map((text) => {
      const r = ruleFromMetadata(text);
      if (!r.ok) throw new Error(r.reasons.join("; "));
      return r.rule;
    });
  });

  it.each(["pmsapp-2node.conf", "pmsapp-3node.conf", "pmsapp-2node-ref.conf"])("%s: the array before fs and NFS on start, after them on stop", (name) => {
    const order = serviceOrder(read(name), rules, "clusvc");
    expect(order.start).toEqual(["service:clusvc", "ip:192.168.0.20", `${TYPE_NAME}:sharedraid`, "fs:sharedvol", "nfsexport:sharednfs", "nfsclient:nfsclients"]);
    expect(order.stop).toEqual(["nfsclient:nfsclients", "nfsexport:sharednfs", "fs:sharedvol", `${TYPE_NAME}:sharedraid`, "ip:192.168.0.20", "service:clusvc"]);
  });

  it("is the guide's order with the script replaced by the array", () => {
    const guide = serviceOrder(read("guide-2node.conf"), rules, "clusvc");
    const ours = serviceOrder(read("pmsapp-2node.conf"), rules, "clusvc");
    const asGuide = (labels: string[]): string[] => labels.map((l) => (l === `${TYPE_NAME}:sharedraid` ? "script:swraid" : l));
    expect(asGuide(ours.start)).toEqual(guide.start);
    expect(asGuide(ours.stop)).toEqual(guide.stop);
  });
});
