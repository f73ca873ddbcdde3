#!/usr/bin/env python3
"""make_text_seeds.py FUZZ_DIR: writes the text seed corpora of fuzz/corpus/ (run by hand once;
the outputs are checked in). Images come from make_image_seeds.c."""
import hashlib, io, json, os, sys, tarfile, zipfile

root = sys.argv[1]
def put(harness, name, data):
    d = os.path.join(root, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode('utf-8'))

SEP = '\n--8<--\n'
ID_OK = '11010519491231002X'
# roster CSV
hdr = '学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n'
good = hdr + f'2023001,张三,{ID_OK},计算机学院,软件工程,硕士,2025\n2023002,李四,{ID_OK.lower()},"数学学院, 统计系",统计学,博士研究生,2025届\n'
put('roster_csv', 'utf8.csv', good)
put('roster_csv', 'utf8-bom-crlf.csv', '\ufeff' + good.replace('\n', '\r\n'))
put('roster_csv', 'gbk.csv', good.encode('gb18030'))
put('roster_csv', 'english.csv', f'student_no,name,id_number,college,major,degree,grad_year\nA-1,Wang Wu,{ID_OK},CS,SE,master 硕士,2026.0\n')
put('roster_csv', 'bad-rows.csv', hdr + f'2023003,,{ID_OK},a,b,硕士,2025\n2023 004,x,110105194912310021,a,b,本科,1999\n"2023005","王""五",{ID_OK},"多行\n学院",b,硕士,2100\n')
put('roster_csv', 'missing-column.csv', '学号,姓名\n1,2\n')
put('roster_csv', 'unterminated.csv', hdr + '"2023006,x')
# roster XLSX: the parts format of fuzz/roster_xlsx.c, and real zipped workbooks
wb = '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
rels = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
heads = ['学号', '姓名', '身份证号', '学院', '专业', '学历层次', '毕业年份']
vals = ['2023001', '张三', ID_OK, '计算机学院', '软件工程', '硕士']
sst = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + ''.join(
    f'<si><t>{s}</t></si>' for s in heads + vals) + '<si><r><t>富</t></r><r><t>文本</t></r><rPh><t>ふ</t></rPh></si></sst>'
cols = 'ABCDEFG'
row1 = '<row r="1">' + ''.join(f'<c r="{cols[i]}1" t="s"><v>{i}</v></c>' for i in range(7)) + '</row>'
row2 = '<row r="2">' + ''.join(f'<c r="{cols[i]}2" t="s"><v>{7 + i}</v></c>' for i in range(6)) + '<c r="G2"><v>2025</v></c></row>'
row3 = '<row r="3"><c r="A3" t="inlineStr"><is><t>2023009</t></is></c><c r="B3" t="s"><v>13</v></c><c r="AA3"><v>1</v></c><c r="G3"><f>2024+1</f><v>2025</v></c></row>'
sheet = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + row1 + row2 + row3 + '</sheetData></worksheet>'
put('roster_xlsx', 'parts-good.txt', SEP.join([wb, rels, sst, sheet]))
put('roster_xlsx', 'parts-no-rels.txt', SEP.join(['<workbook/>', '', sst, sheet]))
put('roster_xlsx', 'parts-bad-xml.txt', SEP.join([wb, rels, '<sst><si><t>x</si>', sheet]))
put('roster_xlsx', 'parts-other-target.txt', SEP.join([wb, rels.replace('worksheets/sheet1.xml', '/xl/worksheets/s2.xml'), sst, '', 'xl/worksheets/s2.xml=' + sheet]))
for name, comp in (('real-deflate.xlsx', zipfile.ZIP_DEFLATED), ('real-stored.xlsx', zipfile.ZIP_STORED)):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', comp) as z:
        z.writestr('[Content_Types].xml', '<Types/>')
        z.writestr('xl/workbook.xml', wb)
        z.writestr('xl/_rels/workbook.xml.rels', rels)
        z.writestr('xl/sharedStrings.xml', sst)
        z.writestr('xl/worksheets/sheet1.xml', sheet)
    put('roster_xlsx', name, b.getvalue())
# collection code payloads (harness signs them; KIDKIDKIDKIDKIDK becomes the harness's key id)
p = {"v": 1, "kid": "KIDKIDKIDKIDKIDK", "sno": "2023001", "nm": "张*", "idm": "1101****2X", "sc": "10001",
     "sn": "示例大学", "deg": "硕士", "gy": 2025, "iat": 1700000000000, "exp": 1900000000000, "skid": "0123456789abcdef"}
put('code_verify', 'payload-good.json', json.dumps(p, ensure_ascii=False))
put('code_verify', 'payload-expired.json', json.dumps(dict(p, exp=1600000000000)))
put('code_verify', 'payload-dup-keys.json', '{"v":1,"v":2}')
put('code_verify', 'payload-wrong-types.json', json.dumps(dict(p, gy="2025", sno=7)))
put('code_verify', 'text-unsigned.txt', 'TC1.eyJ2IjoxfQ.AAAA')
put('code_verify', 'text-two-dots.txt', 'TC1.a.b.c')
# tar (first byte: chunk size selector of fuzz/tar_read.c)
def tarball(members, fmt=tarfile.USTAR_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=fmt) as t:
        for n, data in members:
            ti = tarfile.TarInfo(n); ti.size = len(data); ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()
tb = tarball([('package.json', b'{"v":1}'), ('photos/2023001.jpg', b'\xff\xd8' + b'x' * 700 + b'\xff\xd9'), ('empty', b'')])
put('tar_read', 'ustar-chunk1.tar', b'\x00' + tb)
put('tar_read', 'ustar-chunk512.tar', b'\x49' + tb)
put('tar_read', 'truncated.tar', b'\x05' + tb[:1100])
put('tar_read', 'dotdot.tar', b'\x10' + tarball([('a/../b', b'x')]))
put('tar_read', 'gnu-longname.tar', b'\x20' + tarball([('d/' + 'n' * 120, b'x')], tarfile.GNU_FORMAT))
# manifest CSV
rows = [('2023001', '张*', '计算机学院', '2023001.jpg', hashlib.sha256(b'a').hexdigest()),
        ('2023002', '李*', '数学学院, 统计系', '2023002.jpg', hashlib.sha256(b'b').hexdigest())]
def csvline(r):
    return ','.join('"' + f.replace('"', '""') + '"' if (',' in f or '"' in f) else f for f in r) + '\r\n'
man = '\ufeff' + csvline(('编号', '姓名', '学院', '文件名', 'SHA-256')) + ''.join(csvline(r) for r in rows)
put('manifest_csv', 'good.csv', man)
put('manifest_csv', 'bad-sha.csv', man.replace(rows[0][4], 'zz' * 32))
put('manifest_csv', 'bad-quote.csv', man + '"2023003,x\r\n')
put('manifest_csv', 'no-bom.csv', man[1:])
# shipping import
put('shipping_import', 'good.csv', '订单号或学号,快递公司,运单号\r\nTC20241106abcdef,顺丰,SF1234567890\r\n2023001,EMS,"EMS-0001"\r\n2023002,EMS,EMS0000001\r\nTC20241106ghijkl,顺丰,SF0000000001\r\n\r\n')
put('shipping_import', 'bad-rows.csv', '\ufeffkey,courier,tracking\n,顺丰,SF1\nx,,123456\nx,y,12\nx,y,z,w\n"unterminated,y,123456\n')
put('shipping_import', 'header-only.csv', 'a,b\n')
# registry package: members format of fuzz/registry_receive.c (first byte odd), and raw files (even)
with open(os.path.join(root, 'corpus', 'jpeg_info', 'small-q85-300dpi.jpg'), 'rb') as f:
    jpg = f.read()
sha = hashlib.sha256(jpg).hexdigest()
mcsv = '\ufeff' + csvline(('编号', '姓名', '学院', '文件名', 'SHA-256')) + csvline(('2023001', '张*', '计算机学院', '2023001.jpg', sha))
mcsv_b = mcsv.encode('utf-8')
meta = json.dumps({"v": 1, "batch": {"id": 1}, "count": 1, "manifest_csv_sha256": hashlib.sha256(mcsv_b).hexdigest(),
                   "manifest_xlsx_sha256": "0" * 64})
members = [b'photos/2023001.jpg=' + jpg, b'manifest.csv=' + mcsv_b, b'package.json=' + meta.encode()]
put('registry_receive', 'members-good.bin', b'\x01' + SEP.encode().join(members))
put('registry_receive', 'members-unlisted.bin', b'\x01' + SEP.encode().join(members + [b'photos/x.jpg=' + jpg[:100]]))
put('registry_receive', 'members-bad-manifest.bin', b'\x01' + SEP.encode().join([members[0], b'manifest.csv=a,b\n', members[2]]))
hdrj = b'{"v":1,"seal_kid":"0123456789abcdef","signer_kid":"0123456789abcdef","created_at":1700000000000}'
put('registry_receive', 'raw-header-only.bin', b'\x00TUCAIPK1' + len(hdrj).to_bytes(4, 'big') + hdrj + b'\x00' * 200)
put('registry_receive', 'raw-short.bin', b'\x00TUCAIPK1\x00\x00\x10\x00')
hdrt = hdrj.replace(b"0123456789abcdef", b"SEALSEALSEALSEAL", 1).replace(b"0123456789abcdef", b"KIDKIDKIDKIDKIDK", 1)
put("registry_receive", "raw-trusted-header.bin", b"\x00TUCAIPK1" + len(hdrt).to_bytes(4, "big") + hdrt + bytes(range(256)) + b"\x00" * 64)
# WeChat Pay
txn = {"mchid": "1900009191", "appid": "wxd678efh567hg6787", "out_trade_no": "TC20241106abcdef", "transaction_id": "4200000001",
       "trade_type": "JSAPI", "trade_state": "SUCCESS", "amount": {"total": 3000, "payer_total": 3000, "currency": "CNY"}}
ref = {"mchid": "1900009191", "out_trade_no": "TC20241106abcdef", "out_refund_no": "RF1", "refund_id": "5030", "refund_status": "SUCCESS",
       "amount": {"refund": 3000, "total": 3000, "payer_refund": 3000}}
put('pay_parse', 'txn.json', json.dumps(txn))
put('pay_parse', 'txn-notpay.json', json.dumps({"mchid": "1", "out_trade_no": "TC1", "trade_state": "NOTPAY"}))
put('pay_parse', 'refund.json', json.dumps(ref))
put('pay_parse', 'refund-status.json', json.dumps(dict({k: v for k, v in ref.items() if k != 'refund_status'}, status="PROCESSING")))
put('pay_parse', 'long-field.json', json.dumps(dict(txn, out_trade_no='x' * 64)))
put('pay_parse', 'negative.json', json.dumps(dict(txn, amount={"total": -1})))
put('pay_notice', 'resource-txn.bin', b'\x01' + json.dumps(txn).encode())
put('pay_notice', 'resource-refund.bin', b'\x03' + json.dumps(ref).encode())
put('pay_notice', 'resource-other-mch.bin', b'\x01' + json.dumps(dict(txn, mchid="2")).encode())
put('pay_notice', 'body-bad-alg.bin', b'\x00{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AES","ciphertext":"AAAA","nonce":"n"}}')
put('pay_notice', 'body-bad-ct.bin', b'\x00{"id":"EV-1","event_type":"REFUND.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAAAAAAAAAAAAAAAAAAAAAAAAAA","nonce":"nonce1234567","associated_data":"refund"}}')
put('wxp_crypto', 'good.txt', SEP.join(['nonce1234567', 'transaction', 'eyJhIjoxfQ==', 'c2lnbmF0dXJl']))
put('wxp_crypto', 'padding.txt', SEP.join(['n', '', 'QQ==', 'QR==']))
put('wxp_crypto', 'bad.txt', SEP.join(['x' * 65, 'a', 'A=A=', '!!!!']))
# vault
put('vault_open', 'sealed-like.txt', 'v1:' + 'A' * 60)
put('vault_open', 'short.txt', 'v1:AAAA')
put('vault_open', 'plain.txt', '张三 13800138000')
# router
for i, line in enumerate(['GET /api/orders/12', 'POST /api/photos', 'GET /api/photos/attempts/7/standardized',
                          'HEAD /api/office/exports/3/file', 'DELETE /api/orders/1', 'GET /api/ops/support/threads/',
                          'GET /api//orders', 'POST /api/review/items/9/approve', 'GET /index.html', 'GET /api/pay/mock/TC1/approve/x']):
    put('router', f'line{i}.txt', line)
# multipart: first line is the Content-Type's rest
body = ('--XyZ\r\nContent-Disposition: form-data; name="school_id"\r\n\r\n12\r\n'
        '--XyZ\r\nContent-Disposition: form-data; name="photo"; filename="me.jpg"\r\nContent-Type: image/jpeg\r\n\r\n').encode() + jpg + b'\r\n--XyZ--\r\n'
put('multipart', 'photo.bin', b'; boundary=XyZ\n' + body)
put('multipart', 'quoted-boundary.bin', b'; boundary="XyZ"\n' + body)
put('multipart', 'two-files.bin', b'; boundary=XyZ\n' + body.replace(b'--XyZ--', b'--XyZ\r\nContent-Disposition: form-data; name="code"; filename="c.png"\r\n\r\nPNG\r\n--XyZ--'))
put('multipart', 'no-boundary.bin', b'\n' + body)
put('multipart', 'truncated.bin', b'; boundary=XyZ\n' + body[:150])
