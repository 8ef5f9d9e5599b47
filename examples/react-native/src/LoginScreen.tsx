// A React Native screen on react-native-biometrics: enrol this phone's key, then sign in with it.
// Type-checked in Signet's test suite (test/examples/reactNative.test.ts) against the minimal
// declarations in ../types (see README.md).
import { useState } from 'react';
import { Button, Platform, Text, TextInput, View } from 'react-native';
import ReactNativeBiometrics from 'react-native-biometrics';
import { createSignetBiometrics, SignetBiometricsError } from './signetBiometrics';

const SIGNET_URL = 'https://auth.example.com';
const APP_ID = 'YOUR_APP_ID';
const ENROL_URL = 'https://shop.example/api/signet/devices';

const biometrics = new ReactNativeBiometrics({ allowDeviceCredentials: false });

export function LoginScreen(props: { deviceId: string; sessionToken: string; onToken(token: string): void }) {
  const [userId, setUserId] = useState('');
  const [status, setStatus] = useState('');
  const signet = createSignetBiometrics({
    biometrics,
    signetUrl: SIGNET_URL,
    appId: APP_ID,
    enrolUrl: ENROL_URL,
    backendHeaders: { authorization: `Bearer ${props.sessionToken}` },
    deviceId: props.deviceId,
  });

  const run = (work: () => Promise<string>) => {
    setStatus('…');
    work()
      .then(setStatus)
      .catch((e: unknown) =>
        setStatus(e instanceof SignetBiometricsError ? `${e.code}: ${e.message}` : String(e)),
      );
  };

  return (
    <View style={{ padding: 24, gap: 12 }}>
      <Text>Signet on {Platform.OS}</Text>
      <TextInput value={userId} onChangeText={setUserId} placeholder="user id" autoCapitalize="none" />
      <Button
        title="Use biometrics on this phone"
        onPress={() =>
          run(async () => {
            await signet.enrol();
            return 'This phone can now sign you in.';
          })
        }
      />
      <Button
        title="Sign in with biometrics"
        onPress={() =>
          run(async () => {
            const login = await signet.login(userId, 'Sign in to Shop');
            props.onToken(login.token);
            return `Signed in as ${login.userId}`;
          })
        }
      />
      <Text accessibilityLiveRegion="polite">{status}</Text>
    </View>
  );
}
