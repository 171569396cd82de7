/** Create an API key for a service principal (e.g. the registration desk); the secret is shown once. */
import React, { useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, Input, Label, MessageBox, Text } from '@adminjs/design-system';

const ApiKeyNew: React.FC<ActionProps> = ({ resource }) => {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('registration_desk');
  const [created, setCreated] = useState<{ key: string; secret: string; name: string } | null>(null);
  const addNotice = useNotice();
  const submit = async () => {
    const form = new FormData();
    form.set('name', name);
    form.set('scopes', scopes);
    const r = await new ApiClient().resourceAction({ resourceId: resource.id, actionName: 'new', data: form, method: 'post' });
    const d = r.data as { apiKey?: { key: string; name: string }; secret?: string; notice?: { message: string; type: string } };
    if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
    if (d.apiKey && d.secret) setCreated({ key: d.apiKey.key, name: d.apiKey.name, secret: d.secret });
  };
  if (created) {
    return (
      <Box variant="container">
        <H3>API key “{created.name}”</H3>
        <MessageBox my="lg" variant="info" message="secret은 지금 한 번만 보입니다. 안전한 곳에 보관하세요." />
        <Text>
          x-api-key: <code>{created.key}</code>
        </Text>
        <Text>
          x-api-secret: <code data-testid="api-secret">{created.secret}</code>
        </Text>
      </Box>
    );
  }
  return (
    <Box variant="container">
      <H3>새 API key</H3>
      <Label required>이름 (예: registration_desk)</Label>
      <Input value={name} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setName(e.target.value)} />
      <Label mt="lg" required>
        scopes (쉼표로 구분)
      </Label>
      <Input value={scopes} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setScopes(e.target.value)} />
      <Box mt="lg">
        <Button variant="contained" onClick={submit} disabled={!name}>
          만들기
        </Button>
      </Box>
    </Box>
  );
};

export default ApiKeyNew;
