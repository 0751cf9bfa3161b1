import type { Tables } from './tables';

export type TableName = keyof Tables;
export type ColumnName<T extends TableName> = keyof Tables[T] & string;

/** `agency_id` → `agencyId`: the name a column is read under. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Names some columns are read under instead of their camelCase name (`{ id: 'notificationId' }`). */
export type Renames<C extends string> = { readonly [K in C]?: string };

type ReadAs<K extends string, R> = K extends keyof R ? (R[K] extends string ? R[K] : CamelCase<K>) : CamelCase<K>;

/** The row a select list reads: each column under its camelCase name (or its rename), typed as the generated schema says. */
export type SelectedRow<T extends TableName, C extends ColumnName<T>, R extends Renames<C> = Record<never, never>> = Simplify<{
  [K in C as ReadAs<K, R>]: Tables[T][K];
}>;

/**
 * The columns of one table that a set of statements reads, written once: `sql` is the select
 * list (`b.id, b.agency_id AS "agencyId", …`) for `SELECT`/`RETURNING`, `Row` (a type, through
 * `RowOf`) what each row then holds. Only existing columns are accepted, so a column renamed or
 * dropped by a migration (and `npm run schema:types`) fails the typecheck here, and one retyped
 * fails it wherever the code relies on the old type.
 */
export interface SelectList<T extends TableName, C extends ColumnName<T>, R extends Renames<C> = Record<never, never>> {
  readonly table: T;
  readonly columns: readonly C[];
  readonly sql: string;
  /** Type only: never set. */
  readonly row?: SelectedRow<T, C, R>;
}

/** What each row of a select list holds. */
export type RowOf<S extends { readonly row?: object }> = NonNullable<S['row']>;

function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** `alias` qualifies every column (`b` when the statement names the bookings table `b`); null leaves them bare. */
export function selectList<T extends TableName, C extends ColumnName<T>, const R extends Renames<C> = Record<never, never>>(
  table: T,
  alias: string | null,
  columns: readonly C[],
  renames?: R,
): SelectList<T, C, R> {
  const readAs: Renames<C> = renames ?? {};
  const sql = columns
    .map((column) => {
      const qualified = alias ? `${alias}.${column}` : column;
      const name = readAs[column] ?? camelCase(column);
      return name === column ? qualified : `${qualified} AS "${name}"`;
    })
    .join(', ');
  return { table, columns, sql };
}

type NarrowingOf<Row, Narrowed> = {
  [K in keyof Narrowed]: K extends keyof Row
    ? Narrowed[K] extends Row[K]
      ? null extends Row[K]
        ? null extends Narrowed[K]
          ? Narrowed[K]
          : never
        : Narrowed[K]
      : never
    : never;
};

/**
 * A row with some fields given the domain's narrower type (`status: BookingStatus` for a text
 * column, `guests: StoredGuest[]` for a jsonb one). Each narrowing must name a field of the row,
 * fit its column's type, and keep `| null` where the column is nullable: a column retyped or made
 * nullable by a migration then fails the typecheck at the narrowing.
 */
export type Narrowed<Row, Narrowing extends NarrowingOf<Row, Narrowing>> = Simplify<Omit<Row, keyof Narrowing> & Narrowing>;
