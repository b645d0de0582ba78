import { lowerRole, type Role } from "../auth/principal";
import type { ApiKeyWithCreator } from "./repository";

/**
 * A key has no authority of its own: it acts with the lower of its role and its creator's current
 * role, and not at all once the creator is disabled or deleted (docs/decisions.md). null: inactive.
 */
export function effectiveKeyRole(key: ApiKeyWithCreator): Role | null {
  if (key.creator === null || key.creator.disabled) return null;
  return lowerRole(key.role, key.creator.role);
}

/** Why an inactive key is refused, in the 401's message. */
export function inactiveKeyReason(key: ApiKeyWithCreator): string {
  return key.creator === null
    ? "The API key's creator has been deleted; an admin must issue a new key"
    : "The API key's creator is disabled";
}
