#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.018366	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,86).	T	10.0.0.1	10.0.0.2	40022	-
1767225600.023108	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/a.bin	-	3000	226	Transfer complete.	-	-	-	-	F90CZ7vasbBNHt1Eq
1767225600.028410	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	-	-	-	-	-	-	-
1767225600.032578	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/b.bin	-	2000	226	Transfer complete.	-	-	-	-	-
1767225600.037656	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,88).	T	10.0.0.1	10.0.0.2	40024	-
1767225600.041836	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/c.bin	-	1000	226	Transfer complete.	-	-	-	-	FjOEXFjIEdwePjCWO
#close	2026-01-01-00-00-00
