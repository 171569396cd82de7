/**
 * Rows read as JSON (`json_agg(table)`, several tables in one statement) turned back into the model
 * instances a `findAll` would have given: column names → attributes, timestamps (text in JSON) → Date.
 * Used where one statement replaces several ORM queries on a hot path.
 */
import type { Model, ModelStatic } from 'sequelize';

const columnMaps = new WeakMap<ModelStatic<Model>, Array<{ column: string; attribute: string; date: boolean }>>();

function columnsOf(model: ModelStatic<Model>): Array<{ column: string; attribute: string; date: boolean }> {
  let cols = columnMaps.get(model);
  if (!cols) {
    cols = Object.entries(model.getAttributes()).map(([attribute, def]) => ({
      column: def.field ?? attribute,
      attribute,
      date: (def.type as { key?: string }).key === 'DATE',
    }));
    columnMaps.set(model, cols);
  }
  return cols;
}

/** One JSON row of `model`'s table → an instance (as loaded from the database, not new). */
export function hydrate<M extends Model>(model: ModelStatic<M>, row: Record<string, unknown>): M {
  const values: Record<string, unknown> = {};
  for (const c of columnsOf(model as unknown as ModelStatic<Model>)) {
    if (!(c.column in row)) continue;
    const v = row[c.column];
    values[c.attribute] = c.date && typeof v === 'string' ? new Date(v) : v;
  }
  return model.build(values as never, { isNewRecord: false, raw: true });
}

/** Every row of a `json_agg` column (NULL when there were none) → instances. */
export function hydrateAll<M extends Model>(model: ModelStatic<M>, rows: Array<Record<string, unknown>> | null | undefined): M[] {
  return (rows ?? []).map((row) => hydrate(model, row));
}
