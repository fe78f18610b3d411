package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// admissionTLS returns the TLS configuration of the admission listener:
// the serving certificate of certFile and keyFile, read again when either
// file changes (cert-manager renews a mounted Secret in place), and, when
// clientCA is not "", client certificates required and verified against
// it, so that only the API server holding one may call.
func admissionTLS(logger *slog.Logger, certFile, keyFile, clientCA string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--admission-addr: needs --tls-cert and --tls-key, since the API server calls webhooks over https only")
	}
	certs := &certFiles{cert: certFile, key: keyFile, logger: logger}
	if err := certs.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, fmt.Errorf("--admission-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--admission-client-ca %s: no PEM certificate in it", clientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// certRecheck is how often the certificate files are looked at for a
// change.
const certRecheck = 10 * time.Second

// certFiles holds a certificate read from files and reads it again when
// the files change. A renewal that cannot be read is logged and the
// certificate in use stays, until it expires.
type certFiles struct {
	cert, key string
	logger    *slog.Logger

	mu      sync.Mutex
	current *tls.Certificate
	stamp   string
	checked time.Time
}

// load reads the certificate and key.
func (c *certFiles) load() error {
	stamp, err := c.stampNow()
	if err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return fmt.Errorf("--tls-cert %s and --tls-key %s: %w", c.cert, c.key, err)
	}
	c.current, c.stamp, c.checked = &pair, stamp, time.Now()
	return nil
}

// stampNow identifies the files' current content by size and time.
func (c *certFiles) stampNow() (string, error) {
	stamp := ""
	for _, name := range []string{c.cert, c.key} {
		fi, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("TLS certificate: %w", err)
		}
		stamp += fmt.Sprintf("%d:%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}

func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < certRecheck {
		return c.current, nil
	}
	c.checked = time.Now()
	if stamp, err := c.stampNow(); err == nil && stamp == c.stamp {
		return c.current, nil
	}
	if err := c.load(); err != nil {
		c.logger.Error("the renewed TLS certificate cannot be read; serving the previous one", "err", err)
		return c.current, nil
	}
	c.logger.Info("TLS certificate read again", "cert", c.cert)
	return c.current, nil
}
