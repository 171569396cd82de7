/** Staff sign-in: e-mail + password, and Google when configured (only existing staff accounts). */
import React from 'react';
import { Box, Button, FormGroup, H5, Input, Label, MessageBox, Text } from '@adminjs/design-system';

const Login: React.FC = () => {
  const props = (window as unknown as { __APP_STATE__?: { action?: string; errorMessage?: string | null; googleLoginUrl?: string | null } }).__APP_STATE__ ?? {};
  const message = props.errorMessage === 'invalidCredentials' ? '이메일 또는 비밀번호가 올바르지 않거나 스태프 계정이 아닙니다.' : props.errorMessage;
  return (
    <Box flex variant="grey" style={{ height: '100%', alignItems: 'center', justifyContent: 'center', flexDirection: 'column' }}>
      <Box bg="white" p="x3" boxShadow="login" width={['100%', '420px']}>
        <H5 marginBottom="xl">Conference Shop Admin</H5>
        {message && <MessageBox my="lg" variant="danger" message={message} />}
        <form action={props.action ?? '/admin/login'} method="POST">
          <FormGroup>
            <Label required>Email</Label>
            <Input name="email" placeholder="Email" autoComplete="username" />
          </FormGroup>
          <FormGroup>
            <Label required>Password</Label>
            <Input type="password" name="password" placeholder="Password" autoComplete="current-password" />
          </FormGroup>
          <Text mt="xl" textAlign="center">
            <Button variant="contained" type="submit">
              로그인
            </Button>
          </Text>
        </form>
        {props.googleLoginUrl && (
          <Text mt="xl" textAlign="center">
            <Button as="a" href={props.googleLoginUrl}>
              Google 계정으로 로그인
            </Button>
          </Text>
        )}
      </Box>
    </Box>
  );
};

export default Login;
