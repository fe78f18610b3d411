package kubetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is what a cluster needs of certificates and keys: one CA that signs
// both the API server's serving certificate and the administrator's client
// certificate, so that a kubeconfig names one authority for both, and the
// key that signs service account tokens. The PEM fields are kept for the
// client configuration, the paths for the API server's flags.
type pki struct {
	caPEM, adminCertPEM, adminKeyPEM []byte

	caFile, servingCertFile, servingKeyFile string
	// serviceAccountKeyFile holds the private key that signs service
	// account tokens, serviceAccountPubFile its public key, which
	// verifies them.
	serviceAccountKeyFile, serviceAccountPubFile string
}

// adminUser and adminGroup are the administrator's identity. The API
// server lets every member of system:masters do anything, whatever the
// authorization mode.
const (
	adminUser  = "kubetest-admin"
	adminGroup = "system:masters"
)

// newPKI generates the certificates and keys of a cluster and writes the
// API server's files into dir.
func newPKI(dir string, serviceIP net.IP) (*pki, error) {
	now := time.Now()
	caKey, err := newKey()
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "kubetest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, ca, err := sign(caTmpl, caTmpl, caKey, caKey)
	if err != nil {
		return nil, err
	}

	servingKey, err := newKey()
	if err != nil {
		return nil, err
	}
	servingDER, _, err := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(7 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), serviceIP},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
	}, ca, servingKey, caKey)
	if err != nil {
		return nil, err
	}

	adminKey, err := newKey()
	if err != nil {
		return nil, err
	}
	adminDER, _, err := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: adminUser, Organization: []string{adminGroup}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(7 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, adminKey, caKey)
	if err != nil {
		return nil, err
	}

	saKey, err := newKey()
	if err != nil {
		return nil, err
	}

	p := &pki{
		caPEM:                 certPEM(caDER),
		adminCertPEM:          certPEM(adminDER),
		caFile:                filepath.Join(dir, "ca.crt"),
		servingCertFile:       filepath.Join(dir, "apiserver.crt"),
		servingKeyFile:        filepath.Join(dir, "apiserver.key"),
		serviceAccountKeyFile: filepath.Join(dir, "service-account.key"),
		serviceAccountPubFile: filepath.Join(dir, "service-account.pub"),
	}
	if p.adminKeyPEM, err = keyPEM(adminKey); err != nil {
		return nil, err
	}
	servingKeyPEM, err := keyPEM(servingKey)
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := keyPEM(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, err
	}
	for path, data := range map[string][]byte{
		p.caFile:                p.caPEM,
		p.servingCertFile:       certPEM(servingDER),
		p.servingKeyFile:        servingKeyPEM,
		p.serviceAccountKeyFile: saKeyPEM,
		p.serviceAccountPubFile: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// sign issues tmpl for key's public key, signed by parentKey as parent,
// with a random serial number.
func sign(tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, parentKey crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return der, cert, err
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// keyPEM encodes key as PKCS #8, which both the API server and client-go
// read.
func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
