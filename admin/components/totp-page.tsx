/** The operator enrolls their refund OTP: a QR code for the authenticator app, confirmed with a first code. */
import React, { useEffect, useState } from 'react';
import { ApiClient } from 'adminjs';
import { Box, Button, H3, Input, Label, MessageBox, Text } from '@adminjs/design-system';

const api = new ApiClient();

interface State {
  enrolled?: boolean;
  started?: boolean;
  otpauthUrl?: string;
  qrSvg?: string;
  secret?: string;
  error?: string;
}

const TotpPage: React.FC = () => {
  const [s, setS] = useState<State>({});
  const [code, setCode] = useState('');
  useEffect(() => {
    api.getPage({ pageName: 'totp' }).then((r) => setS(r.data as State));
  }, []);
  const post = async (step: string) => {
    const form = new FormData();
    form.set('step', step);
    form.set('code', code);
    const r = await api.getPage({ pageName: 'totp', method: 'post', data: form });
    setS((prev) => ({ ...(step === 'confirm' ? prev : {}), ...(r.data as State), ...((r.data as State).enrolled ? { started: false } : {}) }));
  };
  return (
    <Box variant="container" m="xl" data-testid="totp-page">
      <H3>환불 승인 OTP</H3>
      <Text mb="lg">환불할 때마다 인증 앱(Google Authenticator 등)의 현재 코드를 입력합니다. 코드는 한 번만 쓸 수 있습니다.</Text>
      {s.enrolled && !s.started && <MessageBox my="lg" variant="success" message="OTP가 등록되어 있습니다. 다시 등록하면 이전 코드는 더 이상 쓸 수 없습니다." />}
      {!s.started && (
        <Button onClick={() => post('start')} data-testid="totp-start">
          {s.enrolled ? '새 OTP 다시 등록' : 'OTP 등록 시작'}
        </Button>
      )}
      {s.started && (
        <Box>
          <Box mb="lg" style={{ width: 220 }} dangerouslySetInnerHTML={{ __html: s.qrSvg ?? '' }} />
          <Text mb="default">
            QR 코드를 스캔하거나 키를 직접 입력하세요: <code data-testid="totp-secret">{s.secret}</code>
          </Text>
          {s.error && <MessageBox my="lg" variant="danger" message={s.error} />}
          <Label required>앱에 표시된 6자리 코드</Label>
          <Input value={code} name="code" onChange={(e: React.ChangeEvent<HTMLInputElement>) => setCode(e.target.value)} />
          <Box mt="lg">
            <Button variant="contained" onClick={() => post('confirm')} data-testid="totp-confirm">
              확인
            </Button>
          </Box>
        </Box>
      )}
    </Box>
  );
};

export default TotpPage;
