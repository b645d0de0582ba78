/** Migrations are imported as text (`with { type: "text" }`) so `bun build` inlines them. */
declare module "*.sql" {
  const text: string;
  export default text;
}
