// Tiniapp request signatures for Signet's server API, in Go (standard library only).
//
//	payload   = timestamp + "." + clientId + "." + (body bytes, or path with its query string)
//	encoded   = base64url(payload), no padding
//	signature = hex(HMAC-SHA256(key = secret, data = encoded))
//
// Headers: X-Tiniapp-Timestamp (Unix ms), X-Tiniapp-Client-Id, X-Tiniapp-Signature. Sign the
// exact bytes you send, and the path without Signet's base path.
//
//	go run . -client-id ID -secret S [-timestamp MS] (-body JSON | -path PATH)
//	go run . -client-id ID -secret S -url URL [-method M] [-body JSON]
//
// The first form prints the payload, encoded payload, signature and headers as JSON; the second
// sends the signed request with net/http and prints {"status": ..., "body": ...}.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Signed is one request's signature and the headers that carry it.
type Signed struct {
	Payload        string            `json:"payload"`
	EncodedPayload string            `json:"encodedPayload"`
	Signature      string            `json:"signature"`
	Headers        map[string]string `json:"headers"`
}

// Sign signs a request: body for requests with one (nil otherwise), else path ("/x?y=z").
func Sign(clientID, secret string, timestamp int64, body []byte, path string) (Signed, error) {
	if (body == nil) == (path == "") {
		return Signed{}, errors.New("give exactly one of body or path")
	}
	if timestamp < 0 {
		return Signed{}, errors.New("timestamp must be Unix milliseconds")
	}
	signed := body
	if body == nil {
		if !strings.HasPrefix(path, "/") {
			return Signed{}, errors.New("path must start with /")
		}
		signed = []byte(path)
	}
	payload := append([]byte(strconv.FormatInt(timestamp, 10)+"."+clientID+"."), signed...)
	encoded := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(encoded))
	signature := hex.EncodeToString(mac.Sum(nil))
	return Signed{
		Payload:        string(payload),
		EncodedPayload: encoded,
		Signature:      signature,
		Headers: map[string]string{
			"X-Tiniapp-Timestamp": strconv.FormatInt(timestamp, 10),
			"X-Tiniapp-Client-Id": clientID,
			"X-Tiniapp-Signature": signature,
		},
	}, nil
}

// Send sends a signed request to Signet and returns the status and the body.
func Send(method, rawURL, clientID, secret string, body []byte, basePath string) (int, []byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, nil, err
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if basePath != "" && strings.HasPrefix(path, basePath) {
		path = strings.TrimPrefix(path, basePath)
	}
	signPath := path
	if body != nil {
		signPath = ""
	}
	signed, err := Sign(clientID, secret, time.Now().UnixMilli(), body, signPath)
	if err != nil {
		return 0, nil, err
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, reader)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range signed.Headers {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 15 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

func main() {
	clientID := flag.String("client-id", "", "the app id")
	secret := flag.String("secret", "", "the app secret")
	timestamp := flag.Int64("timestamp", -1, "Unix milliseconds (default: now)")
	body := flag.String("body", "", "the exact body to sign")
	path := flag.String("path", "", "the path and query to sign (requests without a body)")
	target := flag.String("url", "", "send the signed request to this URL")
	method := flag.String("method", "", "HTTP method with -url (default GET, POST with -body)")
	basePath := flag.String("base-path", "", "Signet's base path, left out of the signed path")
	flag.Parse()
	bodySet := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "body" {
			bodySet = true
		}
	})
	var bodyBytes []byte
	if bodySet {
		bodyBytes = []byte(*body)
	}
	if *target != "" {
		m := *method
		if m == "" {
			m = "GET"
			if bodySet {
				m = "POST"
			}
		}
		status, out, err := Send(m, *target, *clientID, *secret, bodyBytes, *basePath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tiniapp signer:", err)
			os.Exit(1)
		}
		var parsed interface{}
		if json.Unmarshal(out, &parsed) != nil {
			parsed = string(out)
		}
		result, _ := json.Marshal(map[string]interface{}{"status": status, "body": parsed})
		fmt.Println(string(result))
		return
	}
	ts := *timestamp
	if ts < 0 {
		ts = time.Now().UnixMilli()
	}
	signed, err := Sign(*clientID, *secret, ts, bodyBytes, *path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiniapp signer:", err)
		os.Exit(2)
	}
	out, _ := json.Marshal(signed)
	fmt.Println(string(out))
}
