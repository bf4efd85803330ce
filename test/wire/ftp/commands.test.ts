import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatFtpCommand, parseEpsvReply, parseFeatReply, parsePasvReply, parsePwdReply, FtpSyntaxError } from '../../../src/wire/ftp/commands.js';

describe('FTP command formatting and reply payloads', () => {
  test('commands are upper-cased and CRLF-terminated', () => {
    assert.equal(formatFtpCommand('auth', 'TLS'), 'AUTH TLS\r\n');
    assert.equal(formatFtpCommand('PASV'), 'PASV\r\n');
  });

  test('an argument carrying CRLF (command smuggling) is refused', () => {
    assert.throws(() => formatFtpCommand('RETR', 'a\r\nDELE b'), FtpSyntaxError);
  });

  test('PASV: the RFC 959 form and a bare form without parentheses both give host and port', () => {
    assert.deepEqual(parsePasvReply({ code: 227, lines: ['Entering Passive Mode (127,0,0,1,156,64).'] }), { host: '127.0.0.1', port: 40000 });
    assert.deepEqual(parsePasvReply({ code: 227, lines: ['Entering Passive Mode 10,0,0,5,4,1'] }), { host: '10.0.0.5', port: 1025 });
    assert.throws(() => parsePasvReply({ code: 227, lines: ['Entering Passive Mode (300,0,0,1,1,1)'] }), FtpSyntaxError);
    assert.throws(() => parsePasvReply({ code: 500, lines: ['no'] }), FtpSyntaxError);
  });

  test('EPSV: the RFC 2428 §3 example and another delimiter give the port', () => {
    assert.equal(parseEpsvReply({ code: 229, lines: ['Entering Extended Passive Mode (|||6446|)'] }), 6446);
    assert.equal(parseEpsvReply({ code: 229, lines: ['ok (!!!21!)'] }), 21);
    assert.throws(() => parseEpsvReply({ code: 229, lines: ['(|||6446!)'] }), FtpSyntaxError);
  });

  test('FEAT lists features with their parameters', () => {
    const feats = parseFeatReply({ code: 211, lines: ['Features:', ' AUTH TLS', ' PBSZ', ' PROT', ' EPSV', 'End'] });
    assert.deepEqual([...feats], [['AUTH', 'TLS'], ['PBSZ', ''], ['PROT', ''], ['EPSV', '']]);
    assert.equal(parseFeatReply({ code: 500, lines: ['unknown'] }).size, 0);
  });

  test('PWD: doubled quotes in the path are unescaped (RFC 959 Appendix II)', () => {
    assert.equal(parsePwdReply({ code: 257, lines: ['"/usr/dm/pathname" is current directory.'] }), '/usr/dm/pathname');
    assert.equal(parsePwdReply({ code: 257, lines: ['"/he said ""hi""" created.'] }), '/he said "hi"');
  });
});
