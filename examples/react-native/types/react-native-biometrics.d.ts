// The subset of react-native-biometrics 3.0.1's own declarations (build/esm/index.d.ts) that the
// example uses, copied in shape so the example type-checks without installing react-native
// (a peer dependency of hundreds of packages). In an app, delete this file: the package ships it.
declare module 'react-native-biometrics' {
  export type BiometryType = 'TouchID' | 'FaceID' | 'Biometrics';
  export default class ReactNativeBiometrics {
    allowDeviceCredentials: boolean;
    constructor(options?: { allowDeviceCredentials?: boolean });
    isSensorAvailable(): Promise<{ available: boolean; biometryType?: BiometryType; error?: string }>;
    createKeys(): Promise<{ publicKey: string }>;
    biometricKeysExist(): Promise<{ keysExist: boolean }>;
    deleteKeys(): Promise<{ keysDeleted: boolean }>;
    createSignature(options: {
      promptMessage: string;
      payload: string;
      cancelButtonText?: string;
    }): Promise<{ success: boolean; signature?: string; error?: string }>;
    simplePrompt(options: {
      promptMessage: string;
      fallbackPromptMessage?: string;
      cancelButtonText?: string;
    }): Promise<{ success: boolean; error?: string }>;
  }
}
