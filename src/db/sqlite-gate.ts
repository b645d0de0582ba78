import type { SQL } from "bun";

type Method = (...args: unknown[]) => unknown;
const startingMethods = ["then", "catch", "finally"] as const;

/**
 * Bun's SQLite adapter has one connection, and a query made outside `begin()` does not wait for
 * an open transaction: it runs inside it, sees its uncommitted rows, and is rolled back with it
 * (a usage row written while a request's transaction fails would vanish). This wraps the client
 * so that such a query starts only when no transaction is open. Queries on a transaction's own
 * client (`tx` in `sql.begin(tx => …)`) are not held, so a transaction never waits on itself;
 * using the outer client inside the callback therefore waits forever: always use `tx`.
 */
export function gateTransactions(sql: SQL): SQL {
  let open = 0;
  let waiters: (() => void)[] = [];

  const whenIdle = async () => {
    while (open > 0) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const transactionEnded = () => {
    open -= 1;
    if (open > 0) return;
    const wake = waiters;
    waiters = [];
    for (const resolve of wake) resolve();
  };

  // A query is lazy: it starts in then/catch/finally/execute, so those wait while busy.
  const hold = <T>(query: T): T => {
    const target = query as unknown as Record<string, Method>;
    for (const name of startingMethods) {
      const original = target[name];
      if (typeof original !== "function") continue;
      target[name] = (...args) =>
        open === 0 ? original.apply(query, args) : whenIdle().then(() => original.apply(query, args));
    }
    const execute = target.execute;
    if (typeof execute === "function") {
      target.execute = () => {
        if (open === 0) return execute.call(query);
        void whenIdle().then(() => {
          execute.call(query);
        });
        return query;
      };
    }
    return query;
  };

  const track = (result: unknown) => {
    open += 1;
    Promise.resolve(result).then(transactionEnded, transactionEnded);
    return result;
  };

  return new Proxy(sql, {
    apply(target, _thisArg, args: unknown[]) {
      const result = (target as unknown as Method)(...args);
      return isTemplateStrings(args[0]) ? hold(result) : result;
    },
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as Method;
      if (property === "begin" || property === "transaction") {
        return (...args: unknown[]) => track(method.apply(target, args));
      }
      if (property === "unsafe" || property === "file") {
        return (...args: unknown[]) => hold(method.apply(target, args));
      }
      return method.bind(target);
    },
  });
}

function isTemplateStrings(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && "raw" in value;
}
