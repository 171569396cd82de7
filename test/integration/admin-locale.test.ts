// Every action the panel shows (built-in and ours, on every resource) has a Korean label, so no English
// action name appears as a button or a tab in the Korean panel.
import { expect } from 'chai';
import type AdminJS from 'adminjs';
import { adminApp } from '../helpers/admin.js';
import { KO_TRANSLATIONS } from '../../admin/locale.js';

describe('admin panel: Korean action labels', function () {
  this.timeout(60_000);

  it('every action of every resource has a Korean label (resource-specific or global)', async () => {
    const admin = (await adminApp()).admin as AdminJS;
    const global = KO_TRANSLATIONS.actions as Record<string, string>;
    const perResource = (KO_TRANSLATIONS.resources ?? {}) as Record<string, { actions?: Record<string, string> }>;
    const missing: string[] = [];
    let seen = 0;
    for (const resource of admin.resources) {
      const id = resource.id();
      for (const name of Object.keys(resource.decorate().actions)) {
        seen += 1;
        if (!perResource[id]?.actions?.[name] && !global[name]) missing.push(`${id}.${name}`);
      }
    }
    expect(seen, 'actions found').to.be.greaterThan(20);
    expect(missing).to.deep.equal([]);
  });

  it('every status-like property lists its values, and each value has a Korean label (AdminJS translates listed values only)', async () => {
    const admin = (await adminApp()).admin as AdminJS;
    const labels = KO_TRANSLATIONS.labels as unknown as Record<string, Record<string, string> | string>;
    const enumNames = Object.keys(labels).filter((k) => typeof labels[k] === 'object');
    const problems: string[] = [];
    let checked = 0;
    for (const resource of admin.resources) {
      for (const property of resource.decorate().getProperties({ where: 'list' })) {
        const path = property.name();
        if (!enumNames.includes(path)) continue;
        checked += 1;
        const values = property.availableValues();
        if (!values) problems.push(`${resource.id()}.${path}: no available values (shown raw)`);
        const own = (KO_TRANSLATIONS.resources as Record<string, { labels?: Record<string, Record<string, string>> }>)[resource.id()]?.labels?.[path];
        for (const v of values ?? []) {
          const key = String(v.label ?? v.value);
          if (!own?.[key] && !(labels[path] as Record<string, string>)[key]) problems.push(`${resource.id()}.${path}: ${key} has no Korean label`);
        }
      }
    }
    expect(checked, 'status-like properties found in lists').to.be.greaterThan(2);
    expect(problems).to.deep.equal([]);
  });
});
