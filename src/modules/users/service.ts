import { httpError } from "../../http/errors";
import { listMeta } from "../../http/pagination";
import type { PasswordHasher } from "../auth/passwords";
import type { Principal, Role } from "../auth/principal";
import type { AuthService } from "../auth/service";
import type { UserRecord, UserRepository } from "./repository";

export type UserService = ReturnType<typeof createUserService>;

/** Never the password hash. */
export function publicUser(user: UserRecord) {
  const { id, email, role, disabled, organizationId, createdAt, updatedAt } = user;
  return { id, email, role, disabled, organizationId, createdAt, updatedAt };
}

const notFound = () => httpError(404, "User not found");
const lastAdmin = () => httpError(409, "The organization's last admin cannot be demoted, disabled or removed");

export interface UserServiceDeps {
  users: UserRepository;
  passwords: PasswordHasher;
  auth: AuthService;
  /** After a user is deleted: the prospects they owned have no owner now (ON DELETE SET NULL). */
  prospectsChanged?: (organizationId: string) => Promise<void>;
}

export function createUserService(deps: UserServiceDeps) {
  const { users, passwords, auth } = deps;

  async function assertNotLastAdmin(target: UserRecord) {
    if (target.role === "admin" && !target.disabled && (await users.countAdmins(target.organizationId)) <= 1) {
      throw lastAdmin();
    }
  }

  return {
    async list(principal: Principal, page: { limit: number; cursor?: string }) {
      const result = await users.listByOrganization(principal.organizationId, page);
      return { data: result.items.map(publicUser), meta: listMeta(result, page.limit) };
    },

    async create(principal: Principal, input: { email: string; password: string; role?: Role }) {
      const user = await users.createUser({
        organizationId: principal.organizationId,
        email: input.email,
        passwordHash: await passwords.hash(input.password),
        role: input.role ?? "user",
      });
      return publicUser(user);
    },

    async update(
      principal: Principal,
      id: string,
      input: { email?: string; password?: string; role?: Role; disabled?: boolean },
    ) {
      const target = await users.findById(principal.organizationId, id);
      if (!target) throw notFound();
      if (id === principal.userId && input.disabled === true) {
        throw httpError(403, "You cannot disable your own account");
      }
      const demoted = input.role !== undefined && input.role !== "admin";
      if ((demoted || input.disabled === true) && target.role === "admin") await assertNotLastAdmin(target);
      const updated = await users.updateUser(principal.organizationId, id, {
        email: input.email,
        role: input.role,
        disabled: input.disabled,
        passwordHash: input.password === undefined ? undefined : await passwords.hash(input.password),
      });
      if (!updated) throw notFound();
      const roleChanged = input.role !== undefined && input.role !== target.role;
      if (roleChanged || input.password !== undefined || input.disabled === true) {
        await auth.revokeUser(id, roleChanged ? "role_changed" : input.disabled ? "disabled" : "password_changed");
      }
      return publicUser(updated);
    },

    async remove(principal: Principal, id: string): Promise<void> {
      const target = await users.findById(principal.organizationId, id);
      if (!target) throw notFound();
      await assertNotLastAdmin(target);
      // Deleted first, announced after: an instance that re-reads the user's keys or tokens on
      // hearing of it must find the user gone (its sessions go with it, ON DELETE CASCADE).
      if (!(await users.deleteUser(principal.organizationId, id))) throw notFound();
      await deps.prospectsChanged?.(principal.organizationId);
      await auth.revokeUser(id, "deleted");
    },
  };
}
