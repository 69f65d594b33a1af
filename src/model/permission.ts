/** How much the operator lets the agent do (DESIGN §4): the one definition the config, the gate and the CLI use. */
export const PERMISSION_LEVELS = ['readonly', 'limited', 'full'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export interface Permissions {
  level: PermissionLevel;
  autoRemediate: boolean;
}
