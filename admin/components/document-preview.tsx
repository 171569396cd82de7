/**
 * Preview of a document template: the template rendered with sample data as the PDF a holder would get
 * (the record action streams it with `?format=pdf`), shown inline, with the variables it may use.
 */
import React from 'react';
import type { ActionProps } from 'adminjs';
import { Box, Button, H3, Text } from '@adminjs/design-system';

const DocumentPreview: React.FC<ActionProps> = ({ resource, record }) => {
  const src = `/admin/api/resources/${resource.id}/records/${record?.id}/preview?format=pdf`;
  const vars = String(record?.params?.variables ?? '');
  return (
    <Box variant="white" data-testid="document-preview">
      <H3>{String(record?.params?.name ?? '')} — 미리보기 (예시 데이터)</H3>
      <Text mb="default">사용 가능한 변수: {vars}</Text>
      <Button as="a" href={src} target="_blank" rel="noopener" mb="default">
        PDF 열기
      </Button>
      <Box>
        <iframe title="preview" src={src} style={{ width: '100%', height: '80vh', border: '1px solid #ddd' }} />
      </Box>
    </Box>
  );
};

export default DocumentPreview;
