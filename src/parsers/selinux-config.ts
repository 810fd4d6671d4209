/** Enforcement modes as node_selinux_config_mode and node_selinux_current_mode number them. */
export const SELINUX_MODES: Record<string, number> = { enforcing: 1, permissive: 0, disabled: -1 };

/** `SELINUX=` of /etc/selinux/config as a mode number; undefined when the file does not say. */
export function parseSelinuxConfigMode(text: string): number | undefined {
  const m = /^\s*SELINUX\s*=\s*"?([a-z]+)"?\s*$/m.exec(text);
  return m ? SELINUX_MODES[m[1] as string] : undefined;
}
