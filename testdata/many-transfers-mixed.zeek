#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.018366	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	PORT	10,0,0,1,195,84	-	-	200	PORT command successful. Consider using PASV.	F	10.0.0.2	10.0.0.1	50004	-
1767225600.027400	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,77).	T	10.0.0.1	10.0.0.2	40013	-
1767225600.031580	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	RETR	ftp://10.0.0.2/./a.bin	-	2000	226	Transfer complete.	-	-	-	-	FwewzWQnUVn9IjeHa
1767225600.036658	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	EPSV	-	-	-	229	Entering Extended Passive Mode (|||40014|)	T	10.0.0.1	10.0.0.2	40014	-
1767225600.040838	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	RETR	ftp://10.0.0.2/./b.bin	-	1500	226	Transfer complete.	-	-	-	-	FbP3UHL6RglJMxnCo
1767225600.045916	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	PORT	10,0,0,1,195,85	-	-	200	PORT command successful. Consider using PASV.	F	10.0.0.2	10.0.0.1	50005	-
1767225600.049490	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	alice	<hidden>	STOR	ftp://10.0.0.2/./notes.txt	-	-	226	Transfer complete.	-	-	-	-	F15LcxLestVe20Mon5
#close	2026-01-01-00-00-00
