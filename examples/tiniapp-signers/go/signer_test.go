package main

import "testing"

// The two vectors of docs/api.md "The Tiniapp request signature" (the seed's examples).
func TestVectors(t *testing.T) {
	const id = "RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W"
	const secret = "EhjGcsUUuRSJTHiYPbW5fxzyaKEx0JuAZIKRQ4HnIfNFidB2kMg6locQbTIEz3Vf"
	post, err := Sign(id, secret, 1620621619569, []byte(`{"id":123}`), "")
	if err != nil || post.Signature != "8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2" {
		t.Fatalf("POST vector: %v %s", err, post.Signature)
	}
	get, err := Sign(id, secret, 1620621619569, nil, "/order?location=H%C3%A0%20N%E1%BB%99i&order_id=88062110977884170")
	if err != nil || get.Signature != "e1e0d63f7f8296dd31b2c082e611351a6c41a3bc0309a9299832f70b693722c8" {
		t.Fatalf("GET vector: %v %s", err, get.Signature)
	}
	if _, err := Sign(id, secret, 1, nil, ""); err == nil {
		t.Fatal("neither body nor path must be refused")
	}
}
