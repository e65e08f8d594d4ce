/** OCF exit codes (OCF RA API 1.0; names as in resource-agents' ocf-returncodes). */
export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
} as const;

export type OcfExitCode = (typeof OCF)[keyof typeof OCF];

export function ocfName(code: number): string {
  const hit = Object.entries(OCF).find(([, v]) => v === code);
  return hit ? `OCF_${hit[0]}` : `rc ${code}`;
}
