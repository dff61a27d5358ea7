#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.018366	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,68).	T	10.0.0.1	10.0.0.2	40004	-
1767225600.022546	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/README	-	400	226	Transfer complete.	-	-	-	-	FFX2kOkOZfptJ0dcp
1767225602.039648	C7bDwWmO1ePWQs7nL	10.0.0.4	51001	10.0.0.3	21	anonymous	<hidden>	EPSV	-	-	-	229	Entering Extended Passive Mode (|||50012|)	T	10.0.0.4	10.0.0.3	50012	-
1767225602.043828	C7bDwWmO1ePWQs7nL	10.0.0.4	51001	10.0.0.3	21	anonymous	<hidden>	RETR	ftp://10.0.0.3/./pub/README	-	500	226	Transfer complete.	-	-	-	-	Fdtt6ekSdADi3Js3t
1767225604.068078	C3XWodipzTdfOURTq	10.0.0.5	51002	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,122).	T	10.0.0.5	10.0.0.2	40058	-
1767225604.072258	C3XWodipzTdfOURTq	10.0.0.5	51002	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/README	-	600	226	Transfer complete.	-	-	-	-	FJNGIMv6uAix9MKr2
1767225606.096508	CML5KPnJ9lo7dap9N	10.0.0.1	51003	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,160).	T	10.0.0.1	10.0.0.2	40096	-
1767225606.100688	CML5KPnJ9lo7dap9N	10.0.0.1	51003	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/README	-	700	226	Transfer complete.	-	-	-	-	FAVFnPzA2l8NhC5W8
1767225608.124938	C1oYJXDFI5Dd2S3DoK	10.0.0.4	51004	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,97).	T	10.0.0.4	10.0.0.2	40033	-
1767225608.129118	C1oYJXDFI5Dd2S3DoK	10.0.0.4	51004	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/README	-	800	226	Transfer complete.	-	-	-	-	F8QUkcwzTJcIIHyhL
1767225610.146220	C1t1SQGo0eCIxqEu4R	10.0.0.5	51005	10.0.0.3	21	anonymous	<hidden>	EPSV	-	-	-	229	Entering Extended Passive Mode (|||50876|)	T	10.0.0.5	10.0.0.3	50876	-
1767225610.150400	C1t1SQGo0eCIxqEu4R	10.0.0.5	51005	10.0.0.3	21	anonymous	<hidden>	RETR	ftp://10.0.0.3/./pub/README	-	900	226	Transfer complete.	-	-	-	-	F1bRAU6RcnoqqsJgw0
#close	2026-01-01-00-00-10
