/**
 * What the panel may query, whatever the URL says. AdminJS turns any `filters.<path>=`, `sortBy=` and the
 * search action's `searchProperty=` into a query on the resource, and puts every column of a row into the
 * record it sends to the browser. Secret columns (password hash, TOTP secret, API-key secret hash) would
 * then be a substring / ordering oracle for any staff member. So every Sequelize resource of the panel is a
 * GuardedResource:
 * - secret attributes are not properties at all (never listed, shown, filterable or sortable), and are
 *   stripped from every record (also records populated as references of another resource);
 * - a filter on anything that is not a property, or a sort by anything that is not a property, is a 400 in
 *   the contract's error shape (unknown paths used to reach the SQL layer and answer 500).
 * `recordIdGuard` answers 404 for a record id that cannot be a primary key of the resource (a non-UUID
 * for a UUID key), before AdminJS sends it to PostgreSQL.
 */
import type { RequestHandler } from 'express';
import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { BaseRecord, type BaseProperty, type Filter } from 'adminjs';
import { Resource as SequelizeResource } from '@adminjs/sequelize';
import { ServiceError } from '../src/services/errors.js';

/** Secret attributes per table: never reachable through the panel. (A test checks no other column looks secret.) */
export const SECRET_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  users: ['passwordHash', 'totpSecret', 'totpLastStep'],
  api_keys: ['secretHash'],
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type FindOptions = { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } };

function badQuery(attr: string, detail: string): ServiceError {
  return ServiceError.validation([{ code: 'invalid', detail, attr }]);
}

export class GuardedResource extends SequelizeResource {
  private readonly secrets: Set<string>;

  constructor(model: ModelStatic<Model>) {
    super(model as never);
    this.secrets = new Set(SECRET_ATTRIBUTES[model.tableName] ?? []);
  }

  override properties(): BaseProperty[] {
    return super.properties().filter((p: BaseProperty) => !this.secrets.has(p.name()));
  }

  override property(path: string): BaseProperty | null {
    if (this.secrets.has(path.split('.')[0]!)) return null;
    return super.property(path);
  }

  /** The filter and the sort may name properties only (no secret, no raw column name, no unknown path). */
  protected checkQuery(filter: Filter | undefined, sortBy: string | undefined): void {
    for (const f of Object.values((filter as { filters?: Record<string, { path: string; property: unknown }> } | undefined)?.filters ?? {})) {
      if (!f.property || this.property(f.path) === null) throw badQuery(`filters.${f.path}`, '이 항목으로는 검색할 수 없습니다.');
    }
    if (sortBy !== undefined && this.property(sortBy) === null) throw badQuery('sortBy', '이 항목으로는 정렬할 수 없습니다.');
  }

  protected clean(r: BaseRecord): BaseRecord {
    if (this.secrets.size === 0) return r;
    const params = { ...r.params };
    for (const k of Object.keys(params)) if (this.secrets.has(k.split('.')[0]!)) delete params[k];
    const clean = new BaseRecord(params, this);
    clean.populated = r.populated;
    return clean;
  }

  override async find(filter: Filter, options: FindOptions): Promise<BaseRecord[]> {
    this.checkQuery(filter, options?.sort?.sortBy);
    return ((await super.find(filter, options as never)) as BaseRecord[]).map((r) => this.clean(r));
  }

  override async count(filter: Filter): Promise<number> {
    this.checkQuery(filter, undefined);
    return super.count(filter);
  }

  override async findOne(id: string): Promise<BaseRecord | null> {
    const r = await super.findOne(id);
    return r ? this.clean(r) : null;
  }

  override async findMany(ids: Array<string | number>): Promise<BaseRecord[]> {
    return ((await super.findMany(ids as never)) as BaseRecord[]).map((r) => this.clean(r));
  }

  /** Records of this resource shown as a reference of another one (e.g. an audit row's actor). */
  override async populate(records: BaseRecord[], property: BaseProperty): Promise<BaseRecord[]> {
    const out = (await super.populate(records as never, property as never)) as BaseRecord[];
    const key = property.name();
    for (const r of out) {
      const p = r.populated[key];
      if (p) r.populated[key] = this.clean(p);
    }
    return out;
  }
}

/** Is `model` a Sequelize model class (what the panel's resource list mostly holds)? */
export function isModelClass(x: unknown): x is ModelStatic<Model> {
  return typeof x === 'function' && typeof (x as { getAttributes?: unknown }).getAttributes === 'function';
}

/**
 * 404 for a record id (path `records/:id/…`, or bulk `recordIds=`) that cannot be the primary key of its
 * table: a non-UUID for a UUID key, a non-integer for an integer key.
 */
export function recordIdGuard(sequelize: Sequelize): RequestHandler {
  const kinds = new Map<string, 'uuid' | 'int'>();
  for (const model of Object.values(sequelize.models)) {
    const pk = model.getAttributes()[model.primaryKeyAttribute];
    const key = (pk?.type as { key?: string } | undefined)?.key;
    if (key === 'UUID') kinds.set(model.tableName, 'uuid');
    else if (key === 'INTEGER' || key === 'BIGINT') kinds.set(model.tableName, 'int');
  }
  const valid = (kind: 'uuid' | 'int' | undefined, id: string) =>
    kind === undefined || (kind === 'uuid' ? UUID_RE.test(id) : /^\d{1,18}$/.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER);
  const notFound = () => ServiceError.notFound('기록을 찾을 수 없습니다.');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return null;
    }
  };
  return (req, _res, next) => {
    const m = /^\/api\/resources\/([^/]+)\/(records\/([^/]+)|bulk)\//.exec(req.path);
    if (!m) return next();
    const kind = kinds.get(decode(m[1]!) ?? '');
    if (m[3] !== undefined) {
      const id = decode(m[3]);
      if (id === null || !valid(kind, id)) return next(notFound());
    }
    const ids = req.query.recordIds;
    if (m[2] === 'bulk' && typeof ids === 'string' && ids.split(',').some((id) => !valid(kind, id))) return next(notFound());
    next();
  };
}
