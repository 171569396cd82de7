/** Who changed this record, when, and what (before → after), from the audit log. */
import React, { useEffect, useState } from 'react';
import { ApiClient, type ActionProps } from 'adminjs';
import { Box, H3, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

interface Row {
  id: string;
  action: string;
  actor: string | null;
  at: string;
  reason: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const show = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

const AuditHistory: React.FC<ActionProps> = ({ resource, record }) => {
  const [rows, setRows] = useState<Row[] | null>(null);
  useEffect(() => {
    new ApiClient()
      .recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'history' })
      .then((r) => setRows(((r.data as { history?: Row[] }).history ?? []) as Row[]));
  }, [resource.id, record?.id]);
  if (!rows) return <Box p="xl">…</Box>;
  return (
    <Box variant="container" data-testid="audit-history">
      <H3>변경 이력</H3>
      {rows.length === 0 && <Text>기록이 없습니다.</Text>}
      <Table>
        <TableHead>
          <TableRow>
            <TableCell>시각</TableCell>
            <TableCell>작업</TableCell>
            <TableCell>누가</TableCell>
            <TableCell>변경</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => {
            const keys = [...new Set([...Object.keys(r.before ?? {}), ...Object.keys(r.after ?? {})])];
            return (
              <TableRow key={r.id}>
                <TableCell>{r.at}</TableCell>
                <TableCell>{r.action}</TableCell>
                <TableCell>{r.actor ?? '-'}</TableCell>
                <TableCell>
                  {keys.map((k) => (
                    <div key={k} style={{ fontSize: 12 }}>
                      <b>{k}</b>: {show(r.before?.[k])} → {show(r.after?.[k])}
                    </div>
                  ))}
                  {r.reason && <div>사유: {r.reason}</div>}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
};

export default AuditHistory;
