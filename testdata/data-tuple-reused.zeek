#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.018366	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PORT	10,0,0,1,195,80	-	-	200	PORT command successful. Consider using PASV.	F	10.0.0.2	10.0.0.1	50000	-
1767225600.021940	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/file1.txt	-	1200	226	Transfer complete.	-	-	-	-	F8K6GwHPatYri6GVA
1767225600.346796	C3F8X5VR8hiosrX4t	10.0.0.1	51010	10.0.0.2	21	anonymous	<hidden>	PORT	10,0,0,1,195,80	-	-	200	PORT command successful. Consider using PASV.	F	10.0.0.2	10.0.0.1	50000	-
1767225600.350370	C3F8X5VR8hiosrX4t	10.0.0.1	51010	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/file2.txt	-	1500	226	Transfer complete.	-	-	-	-	FxWDzkOeeFNfcoria
#close	2026-01-01-00-00-00
