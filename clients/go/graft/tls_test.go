package graft

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	graftv1 "github.com/graft-dev/graft/clients/go/graft/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// testPKI is a CA with a server certificate for localhost / 127.0.0.1 and a client certificate
// (CN=client-1), keys as PKCS#8 PEM.
type testPKI struct {
	caPEM                 []byte
	serverCert, serverKey []byte
	clientCert, clientKey []byte
	caPool                *x509.CertPool
	otherCert, otherKey   []byte // signed by an unrelated CA
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	ca, caKey, caPEM := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "graft-test-ca"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
	p := &testPKI{caPEM: caPEM, caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	_, sk, sc := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	p.serverCert, p.serverKey = sc, pkcs8(t, sk)
	_, ck, cc := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "client-1"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey)
	p.clientCert, p.clientKey = cc, pkcs8(t, ck)
	other, otherKey, _ := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "other-ca"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, nil)
	_, ok, oc := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "intruder"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, other, otherKey)
	p.otherCert, p.otherKey = oc, pkcs8(t, ok)
	return p
}

var serial int64

// issue makes a P-256 key and a certificate from tmpl, signed by parent (self-signed when nil).
func issue(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pkcs8(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestTLSConfigCarriesRootsAndClientCertificate(t *testing.T) {
	p := newTestPKI(t)
	o := defaultOptions()
	WithRootCAs(p.caPEM)(&o)
	WithClientCertificate(p.clientCert, p.clientKey)(&o)
	cfg, err := o.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg == nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Fatalf("want roots and one certificate, got %+v", cfg)
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil || leaf.Subject.CommonName != "client-1" {
		t.Fatalf("client certificate %v, %v", leaf, err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", cfg.MinVersion)
	}

	// WithTLS's config is copied, not changed, and keeps its settings.
	base := &tls.Config{ServerName: "graft.internal", MinVersion: tls.VersionTLS13}
	o = defaultOptions()
	WithTLS(base)(&o)
	WithClientCertificate(p.clientCert, p.clientKey)(&o)
	cfg, err = o.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg == base || len(base.Certificates) != 0 || cfg.ServerName != "graft.internal" || len(cfg.Certificates) != 1 {
		t.Errorf("WithTLS config not copied or not kept: %+v", cfg)
	}

	o = defaultOptions()
	if cfg, err := o.tlsConfig(); cfg != nil || err != nil {
		t.Errorf("no TLS option must mean plaintext, got %v, %v", cfg, err)
	}
}

func TestBadTLSMaterialFailsDial(t *testing.T) {
	p := newTestPKI(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []Option
		want string
	}{
		{"roots not PEM", []Option{WithRootCAs([]byte("not a certificate"))}, "WithRootCAs: no PEM certificate"},
		{"key missing", []Option{WithClientCertificate(p.clientCert, nil)}, "needs both"},
		{"key of another certificate", []Option{WithClientCertificate(p.clientCert, p.otherKey)}, "WithClientCertificate: tls: private key does not match"},
		{"certificate not PEM", []Option{WithClientCertificate([]byte("x"), p.clientKey)}, "WithClientCertificate:"},
	} {
		c, err := Dial(ctx, "localhost:1", tc.opts...)
		if err == nil {
			c.Close()
			t.Errorf("%s: Dial succeeded", tc.name)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, err, tc.want)
		}
	}
	// A client certificate turns TLS on, so a bearer token may go with it.
	c, err := Dial(ctx, "localhost:1", WithRootCAs(p.caPEM), WithBearerToken("t"))
	if err != nil {
		t.Fatalf("token over TLS from WithRootCAs: %v", err)
	}
	c.Close()
}

// infoServer answers GetServerInfo with the client certificate's CN and the authorization header.
type infoServer struct {
	graftv1.UnimplementedServerServiceServer
}

func (infoServer) GetServerInfo(ctx context.Context, _ *graftv1.GetServerInfoRequest) (*graftv1.ServerInfo, error) {
	cn := ""
	if pr, ok := peer.FromContext(ctx); ok {
		if info, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			cn = info.State.PeerCertificates[0].Subject.CommonName
		}
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return &graftv1.ServerInfo{Version: cn + "|" + strings.Join(md.Get("authorization"), ",")}, nil
}

func TestMutualTLSAgainstAServerThatRequiresClientCertificates(t *testing.T) {
	p := newTestPKI(t)
	serverPair, err := tls.X509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{serverPair}, ClientCAs: p.caPool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})))
	graftv1.RegisterServerServiceServer(srv, infoServer{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	target := "localhost:" + strings.TrimPrefix(lis.Addr().String(), "127.0.0.1:")
	call := func(opts ...Option) (*ServerInfo, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := Dial(ctx, target, append([]Option{WithRetry(RetryPolicy{MaxAttempts: 1})}, opts...)...)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return c.ServerInfo(ctx)
	}

	info, err := call(WithRootCAs(p.caPEM), WithClientCertificate(p.clientCert, p.clientKey), WithBearerToken("tok"))
	if err != nil {
		t.Fatalf("mTLS call: %v", err)
	}
	if info.GetVersion() != "client-1|Bearer tok" {
		t.Errorf("server saw %q, want the client certificate's CN and the token", info.GetVersion())
	}

	for name, opts := range map[string][]Option{
		"no client certificate":     {WithRootCAs(p.caPEM)},
		"certificate of another CA": {WithRootCAs(p.caPEM), WithClientCertificate(p.otherCert, p.otherKey)},
		"server's CA not trusted":   {WithClientCertificate(p.clientCert, p.clientKey)},
	} {
		_, err := call(opts...)
		var ge *Error
		if !errors.As(err, &ge) || ge.Code != codes.Unavailable {
			t.Errorf("%s: want UNAVAILABLE (handshake refused), got %v", name, err)
		}
	}
}
