/** The order status filter as check boxes: several statuses at once (`filters.currentStatus=completed,refunded`). */
import React from 'react';
import { useTranslation, type FilterPropertyProps } from 'adminjs';
import { Box, CheckBox, FormGroup, Label } from '@adminjs/design-system';

const StatusFilter: React.FC<FilterPropertyProps> = ({ property, filter, onChange }) => {
  const { translateProperty, tl } = useTranslation();
  const chosen = String(filter?.[property.path] ?? '')
    .split(',')
    .filter(Boolean);
  const toggle = (value: string) => {
    const next = chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value];
    onChange(property.path, next.join(','));
  };
  return (
    <FormGroup data-testid="status-filter">
      <Label>{translateProperty(property.label, property.resourceId)}</Label>
      {(property.availableValues ?? []).map(({ value, label }) => ({ value: String(value), label: String(label ?? value) })).map((v) => (
        <Box key={v.value} flex alignItems="center" mb="sm">
          <CheckBox id={`status-${v.value}`} checked={chosen.includes(v.value)} onChange={() => toggle(v.value)} />
          <Label inline htmlFor={`status-${v.value}`} ml="default">
            {tl(`${property.path}.${v.value}`, property.resourceId, { defaultValue: v.label ?? v.value })}
          </Label>
        </Box>
      ))}
    </FormGroup>
  );
};

export default StatusFilter;
