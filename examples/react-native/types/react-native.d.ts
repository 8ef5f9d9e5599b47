// Minimal stand-ins for the React and React Native declarations the example screen uses, so it
// type-checks without installing react-native. In an app, delete this file: `react`,
// `react-native` and `@types/react` provide the real ones.
declare module 'react' {
  export function useState<S>(initial: S): [S, (next: S) => void];
}

declare module 'react/jsx-runtime' {
  export function jsx(type: unknown, props: unknown, key?: unknown): JSX.Element;
  export function jsxs(type: unknown, props: unknown, key?: unknown): JSX.Element;
  export const Fragment: unique symbol;
}

declare namespace JSX {
  interface Element {
    readonly __element: true;
  }
  interface IntrinsicElements {}
  interface ElementChildrenAttribute {
    children: {};
  }
}

declare module 'react-native' {
  type Node = JSX.Element | string | number | null | undefined | Array<Node>;
  export function View(props: { style?: Record<string, unknown>; children?: Node }): JSX.Element;
  export function Text(props: {
    accessibilityLiveRegion?: 'none' | 'polite' | 'assertive';
    children?: Node;
  }): JSX.Element;
  export function TextInput(props: {
    value: string;
    onChangeText(text: string): void;
    placeholder?: string;
    autoCapitalize?: 'none' | 'sentences' | 'words' | 'characters';
  }): JSX.Element;
  export function Button(props: { title: string; onPress(): void; disabled?: boolean }): JSX.Element;
  export const Platform: { OS: 'ios' | 'android' | 'web' };
}
